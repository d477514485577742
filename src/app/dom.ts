/** A few lines of DOM building, so that the explainer reads as a layout rather than as createElement calls. */

type Child = Node | string | null | undefined | false;

/** `<tag class=... ...attrs>children</tag>`; attributes are set as attributes (strings), `class` included. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** Puts an RGBA picture (`toImageData`'s output) on `canvas`, resizing the canvas to it. */
export function paint(canvas: HTMLCanvasElement, pic: { data: Uint8ClampedArray<ArrayBuffer>; width: number; height: number }): void {
  canvas.width = pic.width;
  canvas.height = pic.height;
  canvas.getContext('2d')!.putImageData(new ImageData(pic.data, pic.width, pic.height), 0, 0);
}

/** Saves `canvas` as a PNG download called `name`. */
export function downloadCanvas(canvas: HTMLCanvasElement, name: string): Promise<void> {
  return new Promise((ok, fail) =>
    canvas.toBlob((blob) => {
      if (!blob) return fail(new Error('the picture could not be encoded as PNG'));
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      ok();
    }, 'image/png'),
  );
}
