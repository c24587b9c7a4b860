// Reads one QR code from the camera: the browser's BarcodeDetector where it has one (Android,
// macOS), else the vendored jsQR on frames copied to a canvas (desktop Linux and Windows).
const JSQR = "/static/wallet/vendor/jsQR.js";
const EVERY = 150; // ms between frames: fast enough for a person holding a phone, light on the CPU

function loadJsQr() {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  // A script element from our own origin: allowed by "script-src 'self'", unlike eval or inline code.
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = JSQR;
    script.onload = () => resolve(window.jsQR);
    script.onerror = () => reject(new Error("The QR reader could not be loaded."));
    document.head.append(script);
  });
}

async function reader() {
  if ("BarcodeDetector" in window) {
    const detector = new BarcodeDetector({formats: ["qr_code"]});
    return async (video) => (await detector.detect(video))[0]?.rawValue;
  }
  const jsQR = await loadJsQr();
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", {willReadFrequently: true});
  return async (video) => {
    if (!video.videoWidth) return undefined;
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0);
    const frame = context.getImageData(0, 0, canvas.width, canvas.height);
    return jsQR(frame.data, frame.width, frame.height, {inversionAttempts: "dontInvert"})?.data;
  };
}

export const cameraAvailable = () => Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);

// Shows the camera in `video` until a code is read (or `signal` aborts), then turns it off.
export async function scanOnce(video, signal) {
  const read = await reader();
  const stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}});
  video.srcObject = stream;
  video.hidden = false;
  try {
    await video.play();
    while (!signal.aborted) {
      const text = await read(video);
      if (text) return text;
      await new Promise((resolve) => setTimeout(resolve, EVERY));
    }
    throw new Error("Scanning stopped.");
  } finally {
    stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
    video.hidden = true;
  }
}
