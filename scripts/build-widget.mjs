// Builds what the widget ships from its readable sources (make widget):
// livechat/static/livechat/widget.min.js, the ES modules of widget/ and
// shared/ bundled and minified, and widget.min.css, widget.css minified.
// Usage: node scripts/build-widget.mjs [output folder]   (default: the static folder)
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const statics = path.join(root, "livechat", "static", "livechat");
const out = path.resolve(process.argv[2] || statics);
const common = { minify: true, legalComments: "none", charset: "utf8", logLevel: "warning" };

await build({
  ...common,
  entryPoints: [path.join(statics, "widget", "main.js")],
  bundle: true,
  format: "esm",
  target: "es2022",
  outfile: path.join(out, "widget.min.js"),
});
await build({
  ...common,
  entryPoints: [path.join(statics, "widget.css")],
  outfile: path.join(out, "widget.min.css"),
});
