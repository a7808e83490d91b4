# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Open a page in Debian's headless chromium: its DOM after scripts ran,
its console errors, a screenshot.

Tests of the HTML report use it to check what a person would see. Each
call gets a new profile directory and turns off everything that would
reach the network. tools/run-tests installs chromium (bindep.txt).
"""

import os
import re
import shutil
import subprocess
import tempfile

#: Names Debian and other distributions give the browser.
BINARIES = ('chromium', 'chromium-browser', 'google-chrome')
#: Scripts get this much virtual time before the DOM is dumped: plotly.js
#: draws asynchronously.
VIRTUAL_TIME_MS = 10000
TIMEOUT = 180
FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
         '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync',
         '--disable-default-apps', '--disable-extensions',
         '--hide-scrollbars', '--enable-logging=stderr', '--v=0')
#: How chromium logs a page's console.error and uncaught exceptions.
CONSOLE_ERROR = re.compile(r'(Uncaught|CONSOLE.*(error|Error))')


def find():
    """The browser's path, or None."""
    for name in BINARIES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(binary, url, *flags):
    profile = tempfile.mkdtemp(prefix='tracker-chromium-')
    try:
        done = subprocess.run(
            [binary] + list(FLAGS) + ['--user-data-dir=%s' % profile,
                                      '--virtual-time-budget=%d'
                                      % VIRTUAL_TIME_MS] + list(flags) +
            [url], capture_output=True, text=True, timeout=TIMEOUT)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if done.returncode:
        raise RuntimeError('%s exited %d: %s' % (
            binary, done.returncode, done.stderr[-2000:]))
    return done


def console_errors(stderr):
    return [line for line in stderr.splitlines()
            if CONSOLE_ERROR.search(line)]


def dump_dom(binary, path):
    """(DOM serialised after the page's scripts ran, console errors)."""
    done = _run(binary, 'file://%s' % os.path.abspath(path), '--dump-dom')
    return done.stdout, console_errors(done.stderr)


def screenshot(binary, path, png, width=1280, height=1100):
    """Write a PNG of the page's first ``height`` pixels; console errors."""
    done = _run(binary, 'file://%s' % os.path.abspath(path),
                '--window-size=%d,%d' % (width, height),
                '--screenshot=%s' % os.path.abspath(png))
    return console_errors(done.stderr)


def png_size(png):
    """(width, height) from a PNG's IHDR chunk."""
    with open(png, 'rb') as source:
        header = source.read(24)
    if header[:8] != b'\x89PNG\r\n\x1a\n' or header[12:16] != b'IHDR':
        raise ValueError('%s is not a PNG' % png)
    return (int.from_bytes(header[16:20], 'big'),
            int.from_bytes(header[20:24], 'big'))
