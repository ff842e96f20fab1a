"""The 52 ARKit blendshape names in the spellings and orders of Apple, Live Link Face and MediaPipe.

:data:`ARKIT_NAMES` (Apple's camelCase, alphabetical) is the canonical order of every
``[T, 52]`` weights array in this package. Live Link Face writes the same 52 in PascalCase in
its own column order (the Jaw and Mouth Left/Right pairs are swapped relative to Apple's),
followed by 9 head and eye rotations; MediaPipe's face landmarker writes ``_neutral`` and 51
of them (no ``tongueOut``).

Left and Right are the subject's own left and right (``eyeBlinkLeft`` closes the subject's
left eye, which appears on the right of an unmirrored camera image of the face).
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "ARKIT_NAMES",
    "CANONICAL_FROM_LIVE_LINK",
    "LIVE_LINK_FROM_CANONICAL",
    "LIVE_LINK_HEADER",
    "LIVE_LINK_NAMES",
    "LIVE_LINK_POSE_NAMES",
    "MEDIAPIPE_NAMES",
    "camel",
    "pascal",
]

#: Apple's 52 names in Apple's alphabetical order (Python ``sorted`` order): the canonical order.
ARKIT_NAMES = (
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight",
    "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight",
    "eyeWideLeft", "eyeWideRight",
    "jawForward", "jawLeft", "jawOpen", "jawRight",
    "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight", "mouthFunnel",
    "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight", "mouthPucker",
    "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft",
    "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight",
    "tongueOut",
)

#: The 52 in Live Link Face's CSV column order (PascalCase; JawRight before JawLeft, MouthRight before MouthLeft).
LIVE_LINK_NAMES = (
    "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft", "EyeSquintLeft",
    "EyeWideLeft", "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight", "EyeLookOutRight", "EyeLookUpRight",
    "EyeSquintRight", "EyeWideRight",
    "JawForward", "JawRight", "JawLeft", "JawOpen",
    "MouthClose", "MouthFunnel", "MouthPucker", "MouthRight", "MouthLeft", "MouthSmileLeft", "MouthSmileRight",
    "MouthFrownLeft", "MouthFrownRight", "MouthDimpleLeft", "MouthDimpleRight", "MouthStretchLeft",
    "MouthStretchRight", "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper", "MouthPressLeft",
    "MouthPressRight", "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft", "MouthUpperUpRight",
    "BrowDownLeft", "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight",
    "CheekPuff", "CheekSquintLeft", "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight", "TongueOut",
)

#: Live Link Face's 9 rotation columns after the 52 (radians): head, then the subject's left and right eye.
LIVE_LINK_POSE_NAMES = (
    "HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
    "RightEyeYaw", "RightEyePitch", "RightEyeRoll",
)

#: Live Link Face's CSV header line (without the newline); each row's ``BlendShapeCount`` is 61.
LIVE_LINK_HEADER = ",".join(("Timecode", "BlendShapeCount") + LIVE_LINK_NAMES + LIVE_LINK_POSE_NAMES)

#: MediaPipe face landmarker blendshape categories, in its index order: ``_neutral`` then 51 (no tongueOut).
MEDIAPIPE_NAMES = ("_neutral",) + tuple(name for name in ARKIT_NAMES if name != "tongueOut")


def pascal(name: str) -> str:
    """``"jawOpen"`` -> ``"JawOpen"`` (Apple's camelCase to Live Link Face's PascalCase)."""
    return name[:1].upper() + name[1:]


def camel(name: str) -> str:
    """``"JawOpen"`` -> ``"jawOpen"`` (Live Link Face's PascalCase to Apple's camelCase)."""
    return name[:1].lower() + name[1:]


def _index(order: tuple[str, ...], names: tuple[str, ...]) -> np.ndarray:
    index = np.array([order.index(name) for name in names], dtype=np.intp)
    index.flags.writeable = False
    return index


#: ``weights[:, LIVE_LINK_FROM_CANONICAL]`` reorders canonical ``[T, 52]`` weights into Live Link columns.
LIVE_LINK_FROM_CANONICAL = _index(ARKIT_NAMES, tuple(camel(name) for name in LIVE_LINK_NAMES))
#: ``live[:, CANONICAL_FROM_LIVE_LINK]`` reorders ``[T, 52]`` Live Link columns into the canonical order.
CANONICAL_FROM_LIVE_LINK = _index(tuple(camel(name) for name in LIVE_LINK_NAMES), ARKIT_NAMES)
