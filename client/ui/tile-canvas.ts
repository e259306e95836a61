/**
 * <pd-tile-canvas>: the image of a running job, painted tile by tile as results arrive, with
 * an overlay that tints each tile by the peer that computed it, and click-drag selection that
 * fires `zoom` with the selected rectangle in image pixels.
 */
import { LitElement, css, html } from 'lit';

/** How often waiting tiles are put on the canvas. */
const PAINT_INTERVAL_MS = 150;

/** A rectangle in image pixels. */
export interface PixelRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A stable colour per peer id, so a peer keeps its tint across jobs. */
export function peerColour(peerId: string, alpha = 1): string {
  let hash = 2166136261;
  for (let i = 0; i < peerId.length; i++) hash = Math.imul(hash ^ peerId.charCodeAt(i), 16777619);
  return `hsla(${(hash >>> 0) % 360}, 85%, 55%, ${alpha})`;
}

export class TileCanvas extends LitElement {
  static override properties = { tint: { type: Boolean } };
  static override styles = css`
    :host {
      display: block;
      position: relative;
      user-select: none;
      touch-action: none;
    }
    canvas {
      display: block;
      width: 100%;
      height: auto;
      background: #000;
      border-radius: 10px;
    }
    canvas.overlay {
      position: absolute;
      inset: 0;
      background: transparent;
      cursor: crosshair;
    }
  `;

  declare tint: boolean;
  private tiles: Array<PixelRect & { peerId: string }> = [];
  private waiting: Array<{
    rect: PixelRect;
    rgba: Uint8ClampedArray<ArrayBuffer>;
    peerId: string;
  }> = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private drag: { x: number; y: number; x2: number; y2: number } | undefined;

  constructor() {
    super();
    this.tint = false;
  }

  override render() {
    return html`<canvas class="image" aria-label="Rendered image"></canvas>
      <canvas
        class="overlay"
        @pointerdown=${this.onPointerDown}
        @pointermove=${this.onPointerMove}
        @pointerup=${this.onPointerUp}
        @pointercancel=${() => ((this.drag = undefined), this.drawOverlay())}
      ></canvas>`;
  }

  /** The canvas holding the image (for PNG export). */
  get image(): HTMLCanvasElement {
    return this.renderRoot.querySelector('canvas.image')!;
  }

  private get overlay(): HTMLCanvasElement {
    return this.renderRoot.querySelector('canvas.overlay')!;
  }

  /** Clears the image and sets its size in pixels. */
  async reset(width: number, height: number): Promise<void> {
    await this.updateComplete;
    for (const canvas of [this.image, this.overlay]) {
      canvas.width = width;
      canvas.height = height;
    }
    this.tiles = [];
    this.waiting = [];
    this.drawOverlay();
  }

  /**
   * Paints one tile's pixels (RGBA, tile-sized) and records who computed it. Tiles are put on
   * the canvas in batches, a few times a second: every change of a large canvas is composited
   * again (in software where there is no GPU), which on a small machine takes CPU from the
   * workers, while a few updates a second look the same to a person.
   */
  paintTile(rect: PixelRect, rgba: Uint8ClampedArray<ArrayBuffer>, peerId: string): void {
    this.waiting.push({ rect, rgba, peerId });
    this.flushTimer ??= setTimeout(() => this.flush(), PAINT_INTERVAL_MS);
  }

  /** Puts every waiting tile on the canvas now. */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const context = this.image?.getContext('2d');
    const overlay = this.tint ? this.overlay?.getContext('2d') : undefined;
    for (const { rect, rgba, peerId } of this.waiting.splice(0)) {
      context?.putImageData(new ImageData(rgba, rect.w, rect.h), rect.x, rect.y);
      const tile = { ...rect, peerId };
      this.tiles.push(tile);
      if (overlay) this.drawTileTint(overlay, tile);
    }
  }

  protected override updated(changed: Map<string, unknown>): void {
    if (changed.has('tint')) this.drawOverlay();
  }

  private drawOverlay(): void {
    const canvas = this.overlay;
    const context = canvas?.getContext('2d');
    if (!context) return;
    context.clearRect(0, 0, canvas.width, canvas.height);
    if (this.tint) for (const tile of this.tiles) this.drawTileTint(context, tile);
    if (this.drag) {
      const { x, y, w, h } = this.selection(this.drag);
      context.strokeStyle = '#fff';
      context.lineWidth = Math.max(1, canvas.width / 600);
      context.setLineDash([context.lineWidth * 4, context.lineWidth * 3]);
      context.strokeRect(x, y, w, h);
      context.setLineDash([]);
    }
  }

  private drawTileTint(
    context: CanvasRenderingContext2D,
    tile: PixelRect & { peerId: string },
  ): void {
    context.fillStyle = peerColour(tile.peerId, 0.35);
    context.fillRect(tile.x, tile.y, tile.w, tile.h);
  }

  /** Converts a pointer position to image pixels (the canvas is scaled by CSS). */
  private toPixels(event: PointerEvent): { x: number; y: number } {
    const canvas = this.overlay;
    const box = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) / box.width) * canvas.width,
      y: ((event.clientY - box.top) / box.height) * canvas.height,
    };
  }

  /** The dragged rectangle with the image's aspect ratio, so a zoom does not stretch it. */
  private selection(drag: { x: number; y: number; x2: number; y2: number }): PixelRect {
    const aspect = this.overlay.width / this.overlay.height;
    let w = Math.abs(drag.x2 - drag.x);
    let h = Math.abs(drag.y2 - drag.y);
    if (w / aspect > h) h = w / aspect;
    else w = h * aspect;
    return {
      x: drag.x2 < drag.x ? drag.x - w : drag.x,
      y: drag.y2 < drag.y ? drag.y - h : drag.y,
      w,
      h,
    };
  }

  private onPointerDown(event: PointerEvent): void {
    const { x, y } = this.toPixels(event);
    this.drag = { x, y, x2: x, y2: y };
    this.overlay.setPointerCapture(event.pointerId);
  }

  private onPointerMove(event: PointerEvent): void {
    if (!this.drag) return;
    const { x, y } = this.toPixels(event);
    this.drag = { ...this.drag, x2: x, y2: y };
    this.drawOverlay();
  }

  private onPointerUp(): void {
    const drag = this.drag;
    this.drag = undefined;
    this.drawOverlay();
    if (!drag) return;
    const rect = this.selection(drag);
    // A click or a tiny drag is not a zoom request.
    if (rect.w < this.overlay.width / 100) return;
    this.dispatchEvent(
      new CustomEvent<PixelRect>('zoom', { detail: rect, bubbles: true, composed: true }),
    );
  }
}

customElements.define('pd-tile-canvas', TileCanvas);

declare global {
  interface HTMLElementTagNameMap {
    'pd-tile-canvas': TileCanvas;
  }
}
