"""Pictures of a face model: a labelled contact sheet of its shapes, and one of its subjects."""
from __future__ import annotations

import os

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from .face_model import FaceModel
from .facs import describe
from .io_utils import atomic_path
from .render import Camera, render_mesh
from .video import label_font


def face_camera(model: FaceModel, yaw_deg: float = 15.0) -> Camera:
    """A camera framing the face of ``model`` at rest, turned a little so depth reads."""
    rest = model().numpy()[0]
    lo, hi = np.percentile(rest, 1, axis=0), np.percentile(rest, 99, axis=0)
    face = rest[(rest[:, 2] > lo[2] + 0.75 * (hi[2] - lo[2])) & (rest[:, 1] > lo[1] + 0.2 * (hi[1] - lo[1]))]
    return Camera.framing(face, yaw_deg=yaw_deg, margin=1.05)


def _poses(model: FaceModel) -> list[tuple[str, dict[str, torch.Tensor]]]:
    e = model.num_expression
    poses: list[tuple[str, dict[str, torch.Tensor]]] = [("neutral", {})]
    names = model.expression_names or [f"expression {i}" for i in range(min(e, 50))]
    for i, name in enumerate(names[:50]):
        expr = torch.zeros(1, e)
        expr[0, i] = 1.0 if model.expression_names else 2.0  # PCA bases: two standard deviations
        poses.append((name, {"expression": expr}))
    poses.append(("jaw open", {"jaw_pose": torch.tensor([[0.30, 0.0, 0.0]])}))
    poses.append(("eyes closed", {"eyelids": torch.tensor([[1.0, 1.0]])}))
    poses.append(("head turned", {"head_pose": torch.tensor([[0.0, 0.6, 0.0]])}))
    return poses


def _wrap(text: str, font: ImageFont.ImageFont, width: int) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` pixels (a longer word stays whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def contact_sheet(model: FaceModel, path: str | os.PathLike, tile: int = 192, columns: int = 9,
                  poses: list[tuple[str, dict[str, torch.Tensor]]] | None = None) -> int:
    """Render ``poses`` (label, ``model`` inputs of one frame), by default neutral, every expression shape,
    jaw open, eyes closed and head turned.

    Returns the number of tiles. The PNG is written atomically.
    """
    camera = face_camera(model)
    albedo = model.albedo()
    faces = model.faces.numpy()
    poses = poses or _poses(model)
    rows = -(-len(poses) // columns)
    label_h = 44
    sheet = Image.new("RGB", (columns * tile, rows * (tile + label_h)), (250, 250, 250))
    draw = ImageDraw.Draw(sheet)
    font = label_font(12)
    with torch.no_grad():
        for k, (name, inputs) in enumerate(poses):
            verts = model(**inputs).numpy()[0]
            image = render_mesh(verts, faces, albedo, tile, camera, supersample=2)
            r, c = divmod(k, columns)
            sheet.paste(Image.fromarray(image), (c * tile, r * (tile + label_h)))
            text = describe(name) if name.startswith("AU") else name
            for n, line in enumerate(_wrap(text, font, tile - 8)[:3]):
                draw.text((c * tile + 4, r * (tile + label_h) + tile + 2 + 13 * n), line, fill=(20, 20, 20), font=font)
    with atomic_path(path) as tmp:
        sheet.save(tmp, format="PNG")
    return len(poses)


SUBJECT_AGES = ("child", "young adult", "middle-aged", "elderly")
SUBJECT_GENDERS = ("woman", "man", "person")


def subject_sheet(model: FaceModel, path: str | os.PathLike, tile: int = 192) -> int:
    """Render the open head's subjects (rows: :data:`SUBJECT_AGES`; columns: each of
    :data:`SUBJECT_GENDERS` from the front and from the side) at their mean identities.

    Returns the number of subjects. The PNG is written atomically.
    """
    from .subjects import mean_identity

    label_h = 22
    views = (0.0, 70.0)
    sheet = Image.new("RGB", (len(SUBJECT_GENDERS) * len(views) * tile, len(SUBJECT_AGES) * (tile + label_h)), (250, 250, 250))
    draw = ImageDraw.Draw(sheet)
    font = label_font(13)
    faces = model.faces.numpy()
    with torch.no_grad():
        for r, age in enumerate(SUBJECT_AGES):
            for c, gender in enumerate(SUBJECT_GENDERS):
                shape = torch.as_tensor(mean_identity(age, gender)[: model.num_shape])
                verts = model(shape=shape).numpy()[0]
                albedo = model.albedo(shape)
                x = c * len(views) * tile
                y = r * (tile + label_h)
                for k, yaw in enumerate(views):
                    image = render_mesh(verts, faces, albedo, tile, Camera.framing(verts, yaw_deg=yaw), supersample=2)
                    sheet.paste(Image.fromarray(image), (x + k * tile, y + label_h))
                label = {"woman": "girl", "man": "boy", "person": "child"}[gender] if age == "child" else f"{age} {gender}"
                draw.text((x + 6, y + 3), label, fill=(20, 20, 20), font=font)
    with atomic_path(path) as tmp:
        sheet.save(tmp, format="PNG")
    return len(SUBJECT_AGES) * len(SUBJECT_GENDERS)


__all__ = ["SUBJECT_AGES", "SUBJECT_GENDERS", "contact_sheet", "face_camera", "subject_sheet"]
