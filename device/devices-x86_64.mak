# Devices of PVGPU's minimal QEMU 7.2 build (x86_64-softmmu).
# scripts/build-qemu.sh copies this file into the QEMU tree as
# configs/devices/x86_64-softmmu/pvgpu.mak and configures with
# --without-default-devices --with-devices-x86_64=pvgpu, so every device
# not named here (or selected by one named here) is left out.

# No optional PCI devices by default; the ones we need are named below.
CONFIG_PCI_DEVICES=n

# Boards: q35 and pc (i440fx). They select APIC/IOAPIC (MSI_NONBROKEN,
# hence MSI/MSI-X), ACPI, fw_cfg, isa-serial, AHCI (q35), IDE (pc).
CONFIG_Q35=y
CONFIG_I440FX=y

# PCIe root ports (pcie-root-port) for q35.
CONFIG_PCIE_PORT=y

# ivshmem-plain / ivshmem-doorbell, for comparison benchmarks.
CONFIG_IVSHMEM_DEVICE=y

# What the boards create when -nodefaults is not given (as under
# libqtest, which does not pass it): standard VGA, the parallel port and
# the default NIC (e1000 on pc, e1000e on q35).
CONFIG_VGA_PCI=y
CONFIG_PARALLEL=y
CONFIG_E1000_PCI=y
CONFIG_E1000E_PCI_EXPRESS=y

# The PVGPU device (hw/display/Kconfig entry added by the integration).
CONFIG_PVGPU=y
