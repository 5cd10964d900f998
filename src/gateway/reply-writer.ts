/**
 * Fast 0x8001 answers. The header of a platform answer depends only on the terminal (layout, version
 * flag, protocol version, phone bytes), so it is built once per terminal and reused: an answer is then
 * a copy of the template, seven body/serial bytes, a checksum and the escape pass — no header object,
 * no BCD encoding (the simulator measured ~1.2 µs per answer through the generic encoder).
 */
import { encodeHeaderAndBody, wrapFrame, type Header } from '../../protocols/jt808/index.js';

const GENERAL_BODY = 5;

export class ReplyWriter {
  private template: Buffer | null = null;
  private phoneBcd = '';
  private layout = '';
  private versionFlag = false;
  private protocolVersion: number | null = null;
  private serialAt = 0;

  /** The wire frame of a 0x8001 answering `request` with `result`, carrying platform serial `serial`. */
  general(request: Header, serial: number, result: number): Buffer {
    const t = this.templateFor(request);
    t.writeUInt16BE(serial & 0xffff, this.serialAt);
    const b = this.serialAt + 2;
    t.writeUInt16BE(request.serial, b);
    t.writeUInt16BE(request.msgId, b + 2);
    t[b + 4] = result;
    return wrapFrame(t);
  }

  private templateFor(h: Header): Buffer {
    if (
      this.template === null ||
      h.phoneBcd !== this.phoneBcd ||
      h.layout !== this.layout ||
      h.versionFlag !== this.versionFlag ||
      h.protocolVersion !== this.protocolVersion
    ) {
      const spec = { msgId: 0x8001, layout: h.layout, phoneBcd: h.phoneBcd, serial: 0, protocolVersion: h.protocolVersion ?? 1, versionFlag: h.versionFlag };
      this.template = encodeHeaderAndBody(spec, Buffer.alloc(GENERAL_BODY));
      this.serialAt = h.layout === '2019' ? 15 : 10;
      this.phoneBcd = h.phoneBcd;
      this.layout = h.layout;
      this.versionFlag = h.versionFlag;
      this.protocolVersion = h.protocolVersion;
    }
    return this.template;
  }
}
