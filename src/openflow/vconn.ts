/**
 * One OpenFlow connection over a stream socket (unix or TCP): message framing, HELLO version
 * negotiation, and the version check every later message must pass — the behaviour of OVS 3.1's
 * `lib/vconn.c` and `lib/vconn-stream.c`, which `ovs-ofctl` and controllers expect.
 *
 * Framing: each message starts with an 8-byte `ofp_header` whose `length` (bytes, network order)
 * covers the whole message; a length below 8 is a protocol error that closes the connection.
 *
 * Negotiation (OpenFlow 1.3.1 §6.3.1 / OVS): both sides send HELLO at once; the first message
 * received must be HELLO, else the connection closes. The negotiated version is the highest one
 * in both version bitmaps; with no common version the switch sends OFPT_ERROR
 * OFPET_HELLO_FAILED/OFPHFC_INCOMPATIBLE ("We support …, you support …, no common versions.")
 * and closes.
 *
 * After negotiation a message whose `ofp_header.version` differs from the negotiated one is
 * answered with OFPBRC_BAD_VERSION and otherwise ignored, except HELLO, ERROR and ECHO, which
 * pass (vconn_recv).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { OFP_HEADER_LEN } from './common';
import { encodeErrorMsg } from './ofp-errors';
import { decodeHello, encodeHello, versionBitmapText } from './ofp-switch';

/** OpenFlow message types that pass the version check whatever their version (all versions). */
const OFPT_HELLO = 0;
const OFPT_ERROR = 1;
const OFPT_ECHO_REQUEST = 2;
const OFPT_ECHO_REPLY = 3;

/** Largest index of a set bit (the highest version in a bitmap). */
function leftmostBit(bitmap: number): number {
  return 31 - Math.clz32(bitmap);
}

/** Options of a `Vconn`. */
export interface VconnOptions {
  /** name used in logs, e.g. "br0<->unix#3" as OVS names its connections */
  name: string;
  /** versions we accept, as a bitmap (bit N = `ofp_header.version` N) */
  allowedVersions: number;
  /** where protocol problems are reported (rate limiting is the logger's business) */
  warn?: (text: string) => void;
}

/**
 * An OpenFlow connection.
 *
 * Events: `connected` (version: number) once HELLOs are exchanged; `message` (msg: Buffer, one
 * whole OpenFlow message of the negotiated version, or an ECHO/ERROR/HELLO of any version) after
 * that; `close` (reason: string) once, when the socket is gone for whatever reason.
 */
export class Vconn extends EventEmitter {
  /** negotiated `ofp_header.version`; 0 until `connected` */
  version = 0;
  /** the peer's version bitmap from its HELLO */
  peerVersions = 0;
  private state: 'hello' | 'connected' | 'closed' = 'hello';
  private rx: Buffer = Buffer.alloc(0);
  private closeReason = '';

  /**
   * Takes over `socket` and sends our HELLO immediately.
   * @param socket a connected stream socket
   */
  constructor(private readonly socket: Socket, readonly opts: VconnOptions) {
    super();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.closeWith(e.message));
    socket.on('close', () => this.closeWith(this.closeReason || 'connection closed by peer'));
    socket.on('end', () => socket.end());
    this.write(encodeHello(opts.allowedVersions));
  }

  /** True once HELLOs are exchanged and until the connection closes. */
  get connected(): boolean {
    return this.state === 'connected';
  }

  /** True once the connection is gone. */
  get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Queues one complete OpenFlow message (or several, concatenated) for sending. Messages to a
   * closed connection are dropped: the peer is gone and has nobody to tell.
   */
  send(msg: Buffer): void {
    if (this.state !== 'closed') this.write(msg);
  }

  /** Bytes queued in the socket but not yet written (backpressure for large replies). */
  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  /** Closes the connection after flushing what is queued. */
  close(reason = 'closed'): void {
    if (this.state === 'closed') return;
    this.closeReason = reason;
    this.socket.end();
    this.socket.destroySoon?.();
  }

  private write(buf: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(buf);
  }

  private closeWith(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket.destroy();
    this.emit('close', reason);
  }

  private onData(chunk: Buffer): void {
    this.rx = this.rx.length ? Buffer.concat([this.rx, chunk]) : chunk;
    let off = 0;
    while (this.state !== 'closed' && this.rx.length - off >= OFP_HEADER_LEN) {
      const len = this.rx.readUInt16BE(off + 2);
      if (len < OFP_HEADER_LEN) {
        this.opts.warn?.(`${this.opts.name}: received too-short ofp_header (${len} bytes)`);
        this.close('protocol error');
        return;
      }
      if (this.rx.length - off < len) break;
      const msg = Buffer.from(this.rx.subarray(off, off + len));
      off += len;
      this.onMessage(msg);
    }
    this.rx = off === this.rx.length ? Buffer.alloc(0) : this.rx.subarray(off);
  }

  private onMessage(msg: Buffer): void {
    const version = msg[0];
    const type = msg[1];
    if (this.state === 'hello') {
      if (type !== OFPT_HELLO) {
        this.opts.warn?.(`${this.opts.name}: received message while expecting hello`);
        this.close('protocol error');
        return;
      }
      const hello = decodeHello(msg);
      if (!hello.understood) this.opts.warn?.(`${this.opts.name}: unknown data in hello: ${msg.toString('hex')}`);
      this.peerVersions = hello.versions;
      const common = this.peerVersions & this.opts.allowedVersions;
      if (!common) {
        this.version = leftmostBit(this.peerVersions);
        const text = `We support ${versionBitmapText(this.opts.allowedVersions)}, you support ${versionBitmapText(this.peerVersions)}, no common versions.`;
        this.opts.warn?.(`${this.opts.name}: version negotiation failed (we support ${versionBitmapText(this.opts.allowedVersions)}, peer supports ${versionBitmapText(this.peerVersions)})`);
        this.write(encodeErrorMsg('OFPHFC_INCOMPATIBLE', this.version, 0, Buffer.from(text)));
        this.close('version negotiation failed');
        return;
      }
      this.version = leftmostBit(common);
      this.state = 'connected';
      this.emit('connected', this.version);
      return;
    }
    if (version !== this.version && type !== OFPT_HELLO && type !== OFPT_ERROR && type !== OFPT_ECHO_REQUEST && type !== OFPT_ECHO_REPLY) {
      this.opts.warn?.(`${this.opts.name}: received OpenFlow version 0x${version.toString(16).padStart(2, '0')} != expected ${this.version.toString(16).padStart(2, '0')}`);
      this.write(encodeErrorMsg('OFPBRC_BAD_VERSION', version, msg.readUInt32BE(4), msg));
      return;
    }
    this.emit('message', msg);
  }
}
