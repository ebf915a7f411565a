// Preloaded into a daemon (`node --require …`) by test/faults/daemon-kill.test.ts: the first atomic
// write (src/keystore/atomic-file.ts) stops for good after its temporary file is written, before
// the rename, and announces that by creating the file named in ESCD_TEST_PAUSE_MARKER. The test
// waits for that file, so it kills the daemon exactly while a file is half written, however loaded
// the machine is. CommonJS so that it patches fs/promises before any ES module binds `open`.
'use strict';
const fs = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');

const marker = process.env.ESCD_TEST_PAUSE_MARKER;
if (marker) {
  const original = fs.promises.open;
  let paused = false;
  fs.promises.open = async function open(path, flags, mode) {
    const handle = await original.call(this, path, flags, mode);
    if (!paused && String(path).endsWith('.tmp') && flags === 'wx') {
      paused = true;
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        await sync();
        fs.writeFileSync(marker, String(path));
        return new Promise(() => {}); // never: the rename does not happen
      };
    }
    return handle;
  };
  syncBuiltinESMExports();
}
