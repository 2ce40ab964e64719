"""What the OCPI versions define alike, written once: one file per module, like the version packages.

Each holds the wire types that have one shape in 2.1.1 and 2.2.1 (field names, types, lengths and
enum values as VERSION-DIFFERENCES and the two specs give them) and the module's base translator.
A version package subclasses both and adds only what its version defines its own way, so a
difference is always written in the version that has it.
"""
