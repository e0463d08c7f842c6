#include "pvgpu-domain.h"
#include "pvgpu-xml.h"
#include "pvgpuctl-commands.h"
#include "pvgpuctl-error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Domain definitions are a few KiB; anything this large is not one. */
#define VALIDATE_MAX_FILE (16u << 20)

/* Wraps a bare <pvgpu:gpu> element into the smallest domain, so that it
 * meets exactly the checks of a real one. The UUID has the length of any
 * UUID, so the derived socket paths are checked too. */
static xmlDoc *domain_around(xmlNode *gpu)
{
    xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNode *root = xmlNewNode(NULL, (const xmlChar *)"domain");
    xmlNode *metadata;

    xmlDocSetRootElement(doc, root);
    xmlNewTextChild(root, NULL, (const xmlChar *)"name",
                    (const xmlChar *)"validate");
    xmlNewTextChild(root, NULL, (const xmlChar *)"uuid",
                    (const xmlChar *)"00000000-0000-0000-0000-000000000000");
    metadata = xmlNewChild(root, NULL, (const xmlChar *)"metadata", NULL);
    xmlAddChild(metadata, xmlDocCopyNode(gpu, doc, 1));
    xmlReconciliateNs(doc, root);
    return doc;
}

static gboolean check_document(xmlDoc *doc, GError **error)
{
    xmlNode *root = xmlDocGetRootElement(doc);
    g_autoptr(PvgpuDomainConfig) config = NULL;

    if (pvgpu_xml_is(root, "domain", NULL)) {
        if (!pvgpu_domain_config_from_xml(doc, &config, error)) {
            return FALSE;
        }
        if (config == NULL) {
            g_set_error_literal(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_FAILED,
                                "the domain has no pvgpu metadata "
                                "(<pvgpu:gpu> in <metadata>)");
            return FALSE;
        }
        return pvgpu_domain_check_commandline(doc, config, error);
    }
    if (root->ns &&
        g_str_has_prefix((const char *)root->ns->href, PVGPU_NS_FAMILY)) {
        g_autoptr(xmlDoc) wrapped = domain_around(root);

        return pvgpu_domain_config_from_xml(wrapped, &config, error);
    }
    g_set_error(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_FAILED,
                "the root element <%s> is neither a libvirt <domain> nor a "
                "<pvgpu:gpu> element",
                (const char *)root->name);
    return FALSE;
}

/* Reads at most VALIDATE_MAX_FILE bytes of FILE ("-": standard input). */
static char *read_bounded(const char *file, gsize *len, GError **error)
{
    gboolean is_stdin = strcmp(file, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
    g_autoptr(GByteArray) data = g_byte_array_new();
    guint8 chunk[65536];
    ssize_t n;

    if (fd < 0) {
        g_set_error(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_FAILED,
                    "cannot open: %s", g_strerror(errno));
        return NULL;
    }
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 || data->len + (gsize)n > VALIDATE_MAX_FILE) {
            g_set_error(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_FAILED, "%s",
                        n < 0 ? g_strerror(errno)
                              : "larger than 16 MiB, not a domain "
                                "definition");
            break;
        }
        g_byte_array_append(data, chunk, (guint)n);
    }
    if (!is_stdin) {
        close(fd);
    }
    if (n != 0) {
        return NULL;
    }
    if (data->len == 0) {
        g_set_error_literal(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_FAILED,
                            "the file is empty");
        return NULL;
    }
    *len = data->len;
    return (char *)g_byte_array_free(g_steal_pointer(&data), FALSE);
}

gboolean pvgpuctl_cmd_validate(PvgpuctlContext *ctx, const PvgpuctlArgs *args,
                               GError **error)
{
    const char *file = args->positional[0];
    g_autoptr(GError) local = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    gsize len = 0;
    g_autofree char *data = read_bounded(file, &len, &local);

    if (data != NULL) {
        doc = pvgpu_xml_parse(data, len, &local);
    }
    if (doc != NULL) {
        check_document(doc, &local);
    }
    if (local != NULL) {
        g_set_error(error, PVGPUCTL_ERROR, PVGPUCTL_ERROR_FAILED, "%s: %s",
                    file, local->message);
        return FALSE;
    }
    g_string_append_printf(ctx->out, "%s: valid\n", file);
    return TRUE;
}
