// Compile Vega-Lite specs with the vendored builds and render each to SVG, headless.
// Usage: node vegalite_check.js VENDOR_DIR < specs.json  (a JSON list of specs)
// Prints a JSON list, one {"ok", "error", "warnings", "marks", "svg"} per spec.
const fs = require('fs');
const vm = require('vm');
const dir = process.argv[2];
for (const file of ['vega/build/vega.min.js', 'vega-lite/build/vega-lite.min.js']) {
  vm.runInThisContext(fs.readFileSync(dir + '/' + file, 'utf8'), {filename: file});
}
const specs = JSON.parse(fs.readFileSync(0, 'utf8'));

async function check(spec) {
  const warnings = [];
  const logger = {
    level() { return this; },
    warn(...m) { warnings.push(m.join(' ')); },
    info() {}, debug() {},
    error(...m) { throw new Error(m.join(' ')); },
  };
  try {
    const compiled = vegaLite.compile(spec, {logger});
    const view = new vega.View(vega.parse(compiled.spec), {renderer: 'none', logger});
    const svg = await view.toSVG();
    return {ok: true, error: null, warnings, svg};
  } catch (error) {
    return {ok: false, error: String(error && error.message || error), warnings, svg: null};
  }
}

Promise.all(specs.map(check)).then(out => process.stdout.write(JSON.stringify(out)));
