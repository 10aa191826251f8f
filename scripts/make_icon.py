"""Draws assets/icon.png (256x256), the app icon: a model card under a magnifying glass.

    .venv/bin/python scripts/make_icon.py
"""

import os

from PIL import Image, ImageDraw

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
S = 4  # supersampling
W = 256 * S

img = Image.new("RGBA", (W, W), (0, 0, 0, 0))
d = ImageDraw.Draw(img)
d.rounded_rectangle([8 * S, 8 * S, 248 * S, 248 * S], radius=48 * S, fill=(24, 64, 112, 255))
# The card: a page with a folded corner and lines.
d.polygon([(56 * S, 44 * S), (150 * S, 44 * S), (186 * S, 80 * S), (186 * S, 204 * S), (56 * S, 204 * S)], fill=(245, 247, 250, 255))
d.polygon([(150 * S, 44 * S), (186 * S, 80 * S), (150 * S, 80 * S)], fill=(190, 204, 222, 255))
for i, width in enumerate([96, 72, 104, 60]):
    y = (100 + i * 22) * S
    d.rounded_rectangle([74 * S, y, (74 + width) * S, y + 9 * S], radius=4 * S, fill=(60, 110, 170, 255))
# The magnifying glass.
cx, cy, r = 166 * S, 160 * S, 40 * S
d.line([(cx + 26 * S, cy + 26 * S), (cx + 62 * S, cy + 62 * S)], fill=(250, 160, 40, 255), width=20 * S)
d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 255, 255, 90), outline=(250, 160, 40, 255), width=12 * S)
img = img.resize((256, 256), Image.LANCZOS)
img.save(os.path.join(ROOT, "assets", "icon.png"))
print("wrote assets/icon.png")
