"""The map stage: a mapping file turns a host's payload into the letter's fields.

``loader.py`` reads and compiles a mapping, ``expressions.py`` is the sandbox its expressions run in,
``evaluation.py`` builds the letter's fields (remembering the payload path of each), ``dms.py`` is the
``dms:`` section.
"""
from .dms import DmsFields, DmsSection
from .evaluation import ForEach, MappedLetter
from .expressions import MISSING, Expression
from .loader import Mapping, dms_fields, load_mappings

__all__ = ["DmsFields", "DmsSection", "Expression", "ForEach", "MISSING", "MappedLetter", "Mapping", "dms_fields",
           "load_mappings"]
