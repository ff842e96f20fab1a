"""The clip contract's per-frame motion fields and their widths: one list for the whole project.

No imports, so it travels with the remote code of saved models (which must load without this
package) and the clip, the dataset features and the models all read the same names.
"""

#: Required per-frame fields, each ``[T, D]`` float32: expression coefficients, jaw and head
#: rotation (axis-angle, radians) and left/right eyelid closure (0 = open).
MOTION_FIELDS: dict[str, int] = {"expression": 50, "jaw_pose": 3, "eyelids": 2, "head_pose": 3}
#: Optional per-frame fields: neck rotation and left/right eye rotations (axis-angle).
OPTIONAL_MOTION_FIELDS: dict[str, int] = {"neck_pose": 3, "eye_pose": 6}
ROTATION_FIELDS = ("jaw_pose", "head_pose", "neck_pose", "eye_pose")
