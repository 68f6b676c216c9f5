"""naskah: issue official letters (naskah dinas) from an e-office workflow payload."""

__version__ = "0.1.0"
