"""Page images as a document: GIF (eFD shows a paper report as one GIF per page), PNG, JPEG and TIFF uploads,
one file per page, multi-frame GIFs and multi-page TIFFs, or several files bundled as one report.

An image is read like a scanned PDF: a Document of image-only pages (no text layer), whose pages the sandbox
renders for OCR and for the source view (agent.documents.sandbox). Everything that decodes pixels runs in a
sandbox worker, under its time and memory caps, with Pillow's decompression-bomb check set to our own
pixel limit. A page's size in points follows the image's resolution; a GIF is placed a pixel a point, as
eFD's paper reports are in their PDFs (its GIFs carry no resolution), so they are read as eFD's are.

Bundles: `bundle_page_images` packs the files of one report into one upload (a short header, then each
file's length and bytes), so the rest of TradeTrace sees one file with one page per image.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
from collections.abc import Iterator, Sequence

from PIL import Image, ImageSequence, UnidentifiedImageError

from agent.documents.pdf import Document, PageText, sha256_of
from agent.errors import InputError
from agent.models import InputFile

IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF87a", "a GIF image"),
               (b"GIF89a", "a GIF image"), (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"))
BUNDLE_MAGIC = b"TTPAGES1"  # page images of one report, bundled (see bundle_page_images)
_LENGTH = struct.Struct("<Q")

MAX_IMAGE_BYTES = 40 << 20  # an eFD GIF page is 30-150 KB, a phone photo 2-8 MB
MAX_PIXELS = 40_000_000  # per page: a 300 dpi letter scan is 8.4 million, eFD's GIF pages 3.8 million
MAX_IMAGE_PAGES = 200
DEFAULT_DPI = 200.0  # an image that says no resolution (GIF aside) is taken as a 200 dpi scan
EFD_GIF_DPI = 72.0  # a pixel a point: eFD's paper reports as their PDFs place their GIF pages
USABLE_DPI = (50.0, 1200.0)


def what_image(data: bytes) -> str:
    """"a PNG image" ... for page images, "page images" for a bundle, "" for anything else."""
    if data.startswith(BUNDLE_MAGIC):
        return "page images"
    return next((what for magic, what in IMAGE_MAGIC if data.startswith(magic)), "")


def bundle_page_images(images: Sequence[bytes]) -> bytes:
    """The page images of one report (in page order) as one upload's bytes."""
    return BUNDLE_MAGIC + b"".join(_LENGTH.pack(len(image)) + image for image in images)


def _parts(data: bytes, source: str) -> list[bytes]:
    if not data.startswith(BUNDLE_MAGIC):
        return [data]
    parts, position = [], len(BUNDLE_MAGIC)
    while position < len(data):
        if position + _LENGTH.size > len(data):
            raise InputError(source, "the bundle of page images is cut short")
        (size,), position = _LENGTH.unpack_from(data, position), position + _LENGTH.size
        if position + size > len(data):
            raise InputError(source, "the bundle of page images is cut short")
        parts.append(data[position:position + size])
        position += size
    if not parts:
        raise InputError(source, "the bundle holds no page images")
    return parts


def check_image_bytes(data: bytes, source: str) -> None:
    """Refuse, before any worker decodes them, images too large to be page scans, and bundles of other files."""
    if len(data) > MAX_IMAGE_BYTES:
        raise InputError(source, f"the image is {len(data) / (1 << 20):.0f} MB; page images over "
                         f"{MAX_IMAGE_BYTES >> 20} MB are not read")
    for index, part in enumerate(_parts(data, source), start=1):
        if not what_image(part) or part.startswith(BUNDLE_MAGIC):
            raise InputError(source, f"file {index} of the bundle is not a GIF, PNG, JPEG or TIFF image")


def _open(part: bytes, source: str) -> Image.Image:
    """Pillow's image, its header read (no pixels yet), with the bomb check at MAX_PIXELS: a frame over it is
    refused, not decoded."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(part))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(source, f"the image has more than {MAX_PIXELS:,} pixels (a decompression bomb, or no "
                         "page scan): not read") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InputError(source, f"the image cannot be read: it is damaged or not an image ({exc})") from None
    return image


def _dpi(image: Image.Image) -> float:
    if image.format == "GIF":
        return EFD_GIF_DPI
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if isinstance(dpi, tuple) else 0.0
    except (TypeError, ValueError):
        value = 0.0
    return value if USABLE_DPI[0] <= value <= USABLE_DPI[1] else DEFAULT_DPI


def _frames(data: bytes, source: str) -> Iterator[tuple[Image.Image, float]]:
    """Each page (a frame of each image, in order) with its resolution, each frame's size checked."""
    count = 0
    for part in _parts(data, source):
        image = _open(part, source)
        dpi = _dpi(image)
        try:
            for frame in ImageSequence.Iterator(image):
                count += 1
                if count > MAX_IMAGE_PAGES:
                    raise InputError(source, f"more than {MAX_IMAGE_PAGES} page images; the limit is "
                                     f"{MAX_IMAGE_PAGES}")
                if frame.width * frame.height > MAX_PIXELS or min(frame.size) < 1:
                    raise InputError(source, f"page {count} is {frame.width} x {frame.height} pixels; pages over "
                                     f"{MAX_PIXELS:,} pixels are not read")
                yield frame, dpi
        except (OSError, ValueError, EOFError, SyntaxError) as exc:
            raise InputError(source, f"the image cannot be read past page {count}: it is damaged ({exc})") from None


def read_images(data: bytes, source: str) -> Document:
    """Page images as a Document of image-only pages (sizes in points). Run it in a sandbox worker."""
    check_image_bytes(data, source)
    pages = [PageText(number, frame.width * 72 / dpi, frame.height * 72 / dpi, "", has_images=True)
             for number, (frame, dpi) in enumerate(_frames(data, source), start=1)]
    return Document(source, sha256_of(data), pages)  # kind "pdf": pages of a paged file, read alike


def render_image_page(data: bytes, source: str, number: int, dpi: int, colour: bool,
                      max_side: int) -> tuple[int, int, int, float, bytes]:
    """Page `number` (1-based) of page images as the sandbox's render reply: (rows, cols, channels, pixels per
    point, pixel bytes), at `dpi` (at most `max_side` pixels on the long side when given). Run it in a worker."""
    check_image_bytes(data, source)
    pages = 0
    for pages, (frame, image_dpi) in enumerate(_frames(data, source), start=1):
        if pages < number:
            continue
        try:
            picture = frame.convert("RGB" if colour else "L")
        except (OSError, ValueError) as exc:
            raise InputError(source, f"page {number} cannot be decoded: the image is damaged ({exc})") from None
        factor = dpi / image_dpi  # output pixels per image pixel
        if max_side and max(picture.size) * factor > max_side:
            factor = max_side / max(picture.size)
        size = (max(1, round(picture.width * factor)), max(1, round(picture.height * factor)))
        if size != picture.size:
            picture = picture.resize(size, Image.Resampling.LANCZOS)
        return picture.height, picture.width, 3 if colour else 1, size[0] / (frame.width * 72 / image_dpi), \
            picture.tobytes()
    raise InputError(source, f"page {number} does not exist (the images hold {pages} page(s))")


def _page_order(name: str) -> list[tuple[int, str]]:
    """A name's natural order key: "page 2.gif" before "page 10.gif"."""
    return [(int(part), "") if part.isdigit() else (0, part.lower()) for part in re.split(r"(\d+)", name)]


def bundle_images(files: Sequence[InputFile]) -> list[InputFile]:
    """The page images among `files` as one report, its pages in the files' natural name order ("page 2"
    before "page 10"), named after the first; the other files as they are. Fewer than two images: unchanged."""
    images = sorted((file for file in files if what_image(file.data) not in ("", "page images")),
                    key=lambda file: _page_order(file.name))
    if len(images) < 2:
        return list(files)
    bundle = InputFile(f"{images[0].name} (+{len(images) - 1} pages)", bundle_page_images([f.data for f in images]))
    return [bundle, *(file for file in files if file not in images)]
