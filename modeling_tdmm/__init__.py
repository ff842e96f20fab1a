"""tdmm-lm modelling: face model, clip contract, readers, rendering and export."""
from .face_model import FaceModel

__all__ = ["FaceModel"]
