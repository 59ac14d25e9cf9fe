{{banner}}
"""What each variant of {{package}} was generated for, and its source files in each folder under kernels/."""

from ._runtime import Variant

VARIANTS = {
    {{entries}}
}
