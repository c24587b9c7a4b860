// A QR code drawn on a canvas by the vendored qrcode-generator (MIT, see vendor/README.md).
import qrcode from "../vendor/qrcode-generator.mjs";

const QUIET = 4; // modules of white around the code, as scanners expect

// Payment codes are digits (Numeric mode: the smallest code); other text goes as bytes.
export function drawQr(canvas, text, mode = "Numeric") {
  const qr = qrcode(0, "M"); // type 0: the smallest version that holds the text
  qr.addData(text, mode);
  qr.make();
  const count = qr.getModuleCount(), cells = count + 2 * QUIET;
  const scale = Math.max(1, Math.floor(canvas.width / cells));
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = "#000";
  const offset = Math.floor((canvas.width - scale * cells) / 2) + QUIET * scale;
  for (let row = 0; row < count; row += 1) {
    for (let col = 0; col < count; col += 1) {
      if (qr.isDark(row, col)) context.fillRect(offset + col * scale, offset + row * scale, scale, scale);
    }
  }
}
