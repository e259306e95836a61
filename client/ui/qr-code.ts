/**
 * <pd-qr-code text="…" size="320">: the text as a QR code on a canvas, drawn by the qrcode
 * library. Rendered large with a quiet zone so a phone can read it across a desk.
 */
import { LitElement, css, html, type PropertyValues } from 'lit';
import QRCode from 'qrcode';

export class QrCode extends LitElement {
  static override properties = { text: { type: String }, size: { type: Number } };
  static override styles = css`
    canvas {
      display: block;
      background: #fff;
      border-radius: 10px;
      image-rendering: pixelated;
      max-width: 100%;
      height: auto;
    }
  `;

  declare text: string;
  /** Edge length in CSS pixels. */
  declare size: number;

  constructor() {
    super();
    this.text = '';
    this.size = 320;
  }

  override render() {
    return html`<canvas
      role="img"
      aria-label="QR code of the room link"
      title=${this.text}
    ></canvas>`;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('text') && !changed.has('size')) return;
    const canvas = this.renderRoot.querySelector('canvas');
    if (!canvas || !this.text) return;
    QRCode.toCanvas(canvas, this.text, {
      width: this.size,
      margin: 3,
      errorCorrectionLevel: 'M',
    }).catch((err: unknown) => console.error('QR code failed', err));
  }
}

customElements.define('pd-qr-code', QrCode);

declare global {
  interface HTMLElementTagNameMap {
    'pd-qr-code': QrCode;
  }
}
