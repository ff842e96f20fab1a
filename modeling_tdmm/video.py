"""Render a clip to frames and write MP4 / GIF / PNG, one video frame per clip frame.

Sizes, frame rates and the memory a render needs are checked before any work starts, with
one-line errors (``ValueError``; :class:`~modeling_tdmm.limits.LimitError` for memory).
"""
from __future__ import annotations

import math
import numbers
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from tqdm import tqdm

from .clip import FaceClip
from .face_model import FaceModel
from .io_utils import atomic_path
from .limits import MAX_FPS, MAX_RENDER_BYTES
from .render import Camera, render_mesh

VIDEO_SUFFIXES = (".mp4", ".gif", ".png")
MIN_FPS = 0.01  # one frame per 100 s; slower rates break video timing (and glTF keyframe times)
GIF_MAX_FPS = 100.0  # GIF frame delays are whole hundredths of a second


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_fps(fps: float, source: str) -> float:
    """``fps`` as a float if outputs can play it: in ``[MIN_FPS, MAX_FPS]`` (``TDMM_MAX_FPS``)."""
    limit = MAX_FPS.value()
    if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not (math.isfinite(fps) and MIN_FPS <= fps <= limit):
        raise ValueError(f"{source}: frame rate {fps!r} is outside [{MIN_FPS:g}, {limit:g}] fps "
                         "(resample the clip; TDMM_MAX_FPS raises the upper limit)")
    return float(fps)


def check_video_output(path: str | os.PathLike, fps: float) -> Path:
    """``path`` if it names a video output (.mp4, .gif, .png sheet) that can play ``fps``."""
    path = Path(path)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise ValueError(f"{path}: output must end with one of {VIDEO_SUFFIXES}")
    check_fps(fps, str(path))
    if path.suffix.lower() == ".gif" and fps > GIF_MAX_FPS:
        raise ValueError(f"{path}: GIF frame times are in 1/100 s, so a GIF plays at most {GIF_MAX_FPS:g} fps; "
                         f"this clip is {fps:g} fps: resample it (e.g. FaceClip.resample(25)) or write .mp4")
    return path


def check_render(num_frames: int, num_vertices: int, size: int, views: int = 1, supersample: int = 1,
                 source: str = "render") -> None:
    """Refuse a render before it starts: ``size`` and ``supersample`` must be integers >= 1, and the
    approximate peak memory must fit ``MAX_RENDER_BYTES``: the frames (``T x size x size*views x 3``
    bytes), the vertices (``T x V x 3`` float32) and one frame's float buffers at the supersampled size."""
    if not (_is_integer(size) and size >= 1):
        raise ValueError(f"{source}: size must be a whole number of pixels >= 1, got {size!r}")
    if not (_is_integer(supersample) and supersample >= 1):
        raise ValueError(f"{source}: supersample must be a whole number >= 1, got {supersample!r}")
    pixels = size * size * views
    peak = num_frames * (pixels * 3 + num_vertices * 3 * 4) + pixels * supersample**2 * 3 * 8 * 4
    MAX_RENDER_BYTES.check(peak, f"{source}: {num_frames} frames at {size}x{size * views} px, supersample {supersample}")


@lru_cache(maxsize=8)
def label_font(size: int = 14) -> ImageFont.ImageFont:
    """Pillow's bundled font at ``size`` px (no system fonts needed)."""
    return ImageFont.load_default(size=size)


def caption_frame(image: np.ndarray, text: str, size: int = 13) -> np.ndarray:
    """Draw ``text`` in a translucent band at the bottom of ``image [H, W, 3]``, wrapping words."""
    pil = Image.fromarray(image).convert("RGBA")
    font = label_font(size)
    draw = ImageDraw.Draw(pil)
    width = pil.width - 8
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) > width and line:
            lines.append(line)
            line = word
        else:
            line = trial
    lines.append(line)
    lines = lines[-4:]
    band_h = (size + 3) * len(lines) + 6
    overlay = Image.new("RGBA", pil.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rectangle([0, pil.height - band_h, pil.width, pil.height], fill=(0, 0, 0, 140))
    pil = Image.alpha_composite(pil, overlay)
    draw = ImageDraw.Draw(pil)
    for n, text_line in enumerate(lines):
        draw.text((4, pil.height - band_h + 3 + n * (size + 3)), text_line, fill=(255, 255, 255), font=font)
    return np.asarray(pil.convert("RGB"))


def render_clip(
    clip: FaceClip,
    model: FaceModel,
    size: int = 256,
    side_view: bool = False,
    caption: str | None = None,
    supersample: int = 1,
    progress: bool = False,
) -> np.ndarray:
    """Frames ``uint8 [T, H, W(or 2W with side view), 3]`` of ``clip`` rendered with ``model``.

    ``size`` is H = W of one view in pixels. The camera is framed once on the model at rest, so
    head motion stays visible. Sizes and memory are checked first (:func:`check_render`).
    """
    check_render(clip.num_frames, model.num_vertices, size, 2 if side_view else 1, supersample, clip.clip_id or clip.origin)
    identity = model.identity_for(clip)  # once: it warns for a clip of another face model
    verts = model.clip_vertices(clip, shape=identity)
    rest = model(shape=identity).detach().numpy()[0]
    cameras = [Camera.framing(rest, margin=1.0)]
    if side_view:
        cameras.append(Camera.framing(rest, yaw_deg=90.0, margin=1.0))
    faces = model.faces.numpy()
    albedo = model.albedo(identity)
    frames = np.empty((clip.num_frames, size, size * len(cameras), 3), dtype=np.uint8)
    for t in tqdm(range(clip.num_frames), desc="render", disable=not progress, unit="frame"):
        views = [render_mesh(verts[t], faces, albedo, size, cam, supersample) for cam in cameras]
        frame = np.concatenate(views, 1)
        frames[t] = caption_frame(frame, caption) if caption else frame
    return frames


def write_frames(frames: np.ndarray, path: str | os.PathLike, fps: float, columns: int = 5) -> Path:
    """Write ``frames uint8 [T, H, W, 3]`` as MP4 (H.264), GIF (at most 100 fps), or a PNG sheet of
    evenly spaced frames; ``fps`` is checked first (:func:`check_video_output`)."""
    path = check_video_output(path, fps)
    suffix = path.suffix.lower()
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or not len(frames) or frames.dtype != np.uint8:
        raise ValueError(f"{path}: frames should be uint8 [T >= 1, H, W, 3], got {frames.dtype} {list(frames.shape)}")
    with atomic_path(path) as tmp:
        if suffix == ".mp4":
            try:
                import imageio_ffmpeg
            except ImportError as exc:
                raise ImportError("MP4 output needs the render extra: pip install 'tdmm-lm[render]' (or write .gif/.png)") from exc

            height, width = frames.shape[1:3]
            writer = imageio_ffmpeg.write_frames(
                str(tmp), (width, height), fps=fps, codec="libx264", pix_fmt_out="yuv420p",
                output_params=["-crf", "20"], macro_block_size=2, ffmpeg_log_level="error",
            )
            writer.send(None)
            for frame in frames:
                writer.send(np.ascontiguousarray(frame))
            writer.close()
        elif suffix == ".gif":
            images = [Image.fromarray(f) for f in frames]
            images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=10 * round(100 / fps), loop=0)  # GIF stores 10 ms steps
        else:
            picks = np.linspace(0, len(frames) - 1, min(len(frames), columns * 2)).round().astype(int)
            rows = -(-len(picks) // columns)
            h, w = frames.shape[1:3]
            sheet = Image.new("RGB", (w * min(columns, len(picks)), h * rows), (255, 255, 255))
            draw = ImageDraw.Draw(sheet)
            for k, t in enumerate(picks):
                r, c = divmod(k, columns)
                sheet.paste(Image.fromarray(frames[t]), (c * w, r * h))
                draw.text((c * w + 4, r * h + 4), f"t={t / fps:.2f}s", fill=(20, 20, 20), font=label_font(12))
            sheet.save(tmp, format="PNG")
    return path
