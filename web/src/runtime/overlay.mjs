/* adtracker QA overlay (data-debug="overlay", ?adtracker-debug=overlay): draws, beside
 * each tracked ad, what the tracker decided.
 *
 * It takes no decision and words nothing: Python (adtracker/browser/overlay.py) hands
 * over the ad elements and one Picture per refresh (adtracker/overlay/board.py), and
 * this module only draws it:
 *   - one host element: position fixed over the viewport, pointer-events none, the top
 *     of the stacking order, its styles inline and !important, so the store's CSS cannot
 *     move it and it takes no part in the page's layout or events;
 *   - an open shadow root of its own for the labels, so the store's CSS cannot reach
 *     them and theirs cannot reach the store (the ad finder is told to ignore it);
 *   - each label placed on every animation frame beside its element's box (over its
 *     corner when there is no room), and hidden while that element is off screen or
 *     not rendered.
 * It adds no listener to the page and changes none of the page's elements.
 * Imported by the loader's bridge only while the overlay is on (never on a first visit
 * otherwise).
 */

const HOST_STYLE = [
  "all: initial", "position: fixed", "inset: 0", "display: block", "pointer-events: none",
  "z-index: 2147483647", "contain: strict", "overflow: hidden",
].map((rule) => rule + " !important").join("; ");

const GAP = 6; // px between an ad and its label

const CSS = `
  :host { all: initial; }
  * { box-sizing: border-box; pointer-events: none; }
  .label, .corner {
    position: absolute; max-width: 22em; padding: 3px 6px; border-radius: 4px;
    font: 11px/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    color: #f4f4f5; background: rgba(24, 24, 27, 0.88); box-shadow: 0 1px 3px rgba(0, 0, 0, 0.4);
    white-space: normal; overflow-wrap: anywhere;
  }
  .label { left: 0; top: 0; will-change: transform; }
  .label[hidden] { display: none; }
  .corner { right: 8px; bottom: 8px; }
  .line::before { content: "\\25CF"; margin-right: 5px; }
  .line[data-tone="idle"]::before { color: #a1a1aa; }
  .line[data-tone="busy"]::before { color: #38bdf8; }
  .line[data-tone="good"]::before { color: #4ade80; }
  .line[data-tone="warn"]::before { color: #facc15; }
  .line[data-tone="bad"]::before { color: #f87171; }
`;

/** The overlay's layer on `doc`, its host marked with the attribute `hostAttr`. */
export function createOverlay(doc, hostAttr) {
  const host = doc.createElement("div");
  host.setAttribute(hostAttr, "");
  host.setAttribute("aria-hidden", "true");
  host.style.cssText = HOST_STYLE;
  const root = host.attachShadow({ mode: "open" });
  const style = doc.createElement("style");
  style.textContent = CSS;
  const corner = doc.createElement("div");
  corner.className = "corner";
  root.append(style, corner);
  doc.documentElement.append(host);

  let elements = [];
  const labels = [];
  let frame = 0;

  function place() {
    const width = doc.documentElement.clientWidth;
    const height = doc.documentElement.clientHeight;
    for (let i = 0; i < labels.length; i++) {
      const element = elements[i];
      const label = labels[i];
      const box = element && element.isConnected ? element.getBoundingClientRect() : null;
      const shown = box && box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0 &&
        box.top < height && box.left < width;
      label.hidden = !shown;
      if (shown) {
        // Beside the ad when there is room on its right, else over its top-left corner.
        const beside = box.right + GAP + label.offsetWidth <= width;
        const left = beside ? box.right + GAP : box.left;
        const x = Math.min(Math.max(left, 0), Math.max(width - label.offsetWidth, 0));
        const y = Math.min(Math.max(box.top, 0), Math.max(height - label.offsetHeight, 0));
        label.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
      }
    }
    frame = requestAnimationFrame(place);
  }

  function fill(box, lines, className) {
    const key = JSON.stringify(lines);
    if (box.dataset.key === key) return; // unchanged: no DOM work
    box.dataset.key = key;
    box.replaceChildren(...lines.map((line) => {
      const row = doc.createElement("div");
      row.className = className;
      row.dataset.tone = line.tone;
      if (line.kind) row.dataset.kind = line.kind;
      if (line.outcome) row.dataset.outcome = line.outcome;
      row.textContent = line.text;
      return row;
    }));
  }

  return {
    /** The labels' shadow root (the tracker's ad finder is told never to observe it). */
    root,
    /** Draw `picture` (adtracker.overlay.board.Picture): its labels go to `ads`, in order. */
    draw(ads, picture) {
      elements = Array.from(ads);
      while (labels.length < picture.labels.length) {
        const label = doc.createElement("div");
        label.className = "label";
        root.append(label);
        labels.push(label);
      }
      while (labels.length > picture.labels.length) labels.pop().remove();
      picture.labels.forEach((drawn, i) => {
        labels[i].dataset.ad = drawn.ad;
        fill(labels[i], drawn.lines, "line");
      });
      fill(corner, picture.summary.map((text) => ({ text, tone: picture.summary_tone })), "line");
      if (!frame) frame = requestAnimationFrame(place);
    },
  };
}
