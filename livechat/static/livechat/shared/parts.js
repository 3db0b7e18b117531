/* Joining `part` frames (docs/protocol.md, "Frames in parts") back into the frame they carry. */

// The parts of one frame come in order and never interleaved with other
// frames; a missing or out-of-order part drops the whole frame, as a lost
// frame would be (gap fill brings its messages back).
export class PartJoiner {
  constructor() {
    this.current = null;
  }

  reset() {
    this.current = null;
  }

  // The frame itself, the joined frame once its last part came, or null.
  join(frame) {
    if (frame.type !== "part") return frame;
    if (frame.index === 0) this.current = { id: frame.id, data: [] };
    const current = this.current;
    if (!current || current.id !== frame.id || current.data.length !== frame.index || typeof frame.data !== "string") {
      this.current = null;
      return null;
    }
    current.data.push(frame.data);
    if (current.data.length < frame.count) return null;
    this.current = null;
    try {
      const whole = JSON.parse(current.data.join(""));
      return whole && typeof whole === "object" ? whole : null;
    } catch (error) {
      return null;
    }
  }
}
