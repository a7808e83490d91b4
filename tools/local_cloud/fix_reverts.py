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
"""Nova fixes taken back on purpose, to show that a replay test fails on
its subject.

Each ``fix-reverts/BUG.patch`` undoes one Nova fix in the local cloud's
virtualenv (a unified diff against its site-packages). Its header says
what the fix was, which test replays the bug, and which services load the
patched code (``Restart:``: service names, or ``computes`` for every
nova-compute). ``localcloud fix revert BUG`` applies it and restarts them;
``localcloud fix restore BUG`` takes it back out. Only for a proof run:
with a fix reverted the cloud has that bug again.
"""

import dataclasses
import pathlib
import shutil
import subprocess

from local_cloud import supervisor

PATCHES = pathlib.Path(__file__).resolve().parent / 'fix-reverts'
#: The Restart: entry that stands for every nova-compute of the cloud.
COMPUTES = 'computes'


@dataclasses.dataclass(frozen=True)
class FixRevert:
    bug: str
    path: pathlib.Path
    #: The header's first sentence.
    summary: str
    #: Service names, or COMPUTES.
    restart: tuple


def available():
    """{bug: FixRevert} of every patch shipped."""
    return {path.stem: _parse(path) for path in sorted(
        PATCHES.glob('*.patch'))}


def _parse(path):
    header = path.read_text().split('\n--- ', 1)[0].splitlines()
    restart = ()
    summary_lines = []
    for line in header:
        if line.startswith('Restart:'):
            restart = tuple(word.strip(' ,') for word in
                            line.split(':', 1)[1].split())
        elif not summary_lines or summary_lines[-1]:
            summary_lines.append(line.strip())
    summary = ' '.join(summary_lines).split('. ')[0].rstrip('.') + '.'
    if not restart:
        raise supervisor.LocalCloudError(
            '%s: no "Restart:" line in its header' % path)
    return FixRevert(path.stem, path, summary, restart)


def site_packages(layout):
    found = sorted(layout.venv.glob('lib/python3*/site-packages'))
    if not found:
        raise supervisor.LocalCloudError(
            'no site-packages under %s: run tools/localcloud up first'
            % layout.venv)
    return found[0]


def _patch(layout, revert, *flags):
    """(applies, patch's output) of patch(1) with ``flags``.

    --force: never guess that a patch is reversed (with --batch patch(1)
    would apply a reverse patch forward and call it a success); --fuzz=0:
    a hunk applies exactly or not at all.
    """
    if shutil.which('patch') is None:
        raise supervisor.LocalCloudError(
            'patch(1) is not installed (apt-get install patch)')
    done = subprocess.run(
        ['patch', '-p1', '--force', '--fuzz=0', '--no-backup-if-mismatch',
         '-d', str(site_packages(layout)), '-i', str(revert.path)] +
        list(flags),
        capture_output=True, text=True)
    return done.returncode == 0, (done.stdout + done.stderr).strip()


def is_reverted(layout, revert):
    """Whether the fix is taken back now: the patch applies in reverse."""
    return _patch(layout, revert, '--dry-run', '--reverse')[0]


def revert(layout, revert):
    """Apply the patch; True when it changed anything."""
    if is_reverted(layout, revert):
        return False
    fits, output = _patch(layout, revert, '--dry-run', '--forward')
    if not fits:
        raise supervisor.LocalCloudError(
            'fix of bug %s: %s does not apply to the installed nova:\n%s'
            % (revert.bug, revert.path.name, output))
    _apply(layout, revert, '--forward')
    return True


def restore(layout, revert):
    """Take the patch back out; True when it changed anything."""
    if not is_reverted(layout, revert):
        return False
    _apply(layout, revert, '--reverse')
    return True


def _apply(layout, revert, direction):
    applied, output = _patch(layout, revert, direction)
    if not applied:
        raise supervisor.LocalCloudError(
            'fix of bug %s: patch %s failed:\n%s'
            % (revert.bug, direction, output))
