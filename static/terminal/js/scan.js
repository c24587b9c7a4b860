// "Scan" buttons: the wallet's camera reader (BarcodeDetector, else the vendored jsQR) fills a
// field from a QR code, as a till's scanner would type it in. Shown only where there is a camera API.
import {cameraAvailable, scanOnce} from "/static/wallet/js/scanner.js";
import {$, fail} from "./dom.js";

export function scanInto(button, input, then = () => {}) {
  if (!cameraAvailable()) return;
  const label = button.textContent;
  let scanning = null;
  button.hidden = false;
  button.addEventListener("click", async () => {
    if (scanning) { scanning.abort(); return; } // a second press stops the camera
    scanning = new AbortController();
    button.textContent = "Stop scanning";
    try {
      input.value = await scanOnce($("#scan-video"), scanning.signal);
      then();
    } catch (error) {
      if (!scanning.signal.aborted) fail(error);
    } finally {
      scanning = null;
      button.textContent = label;
    }
  });
}
