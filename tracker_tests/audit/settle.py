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

"""The audit's single entry point: read, check, and re-read to confirm.

The cloud moves while it is read: a server deleted between the Placement
and the Nova reads looks like an orphan for a moment, and Nova's resource
tracker catches up with a move only on its next periodic run. A finding is
only reported when the re-reads ``settle`` seconds later still find it
(same kind, host, provider, consumer and resource class; the amounts may
differ).
"""

import dataclasses
import time

from tracker_tests.audit import checks
from tracker_tests.audit import snapshot as snapshot_mod


@dataclasses.dataclass
class AuditResult:
    findings: list
    snapshot: snapshot_mod.Snapshot
    seconds: float
    #: Findings of the first read that a later read no longer found.
    transient: list = dataclasses.field(default_factory=list)
    reads: int = 1


def audit(reader, scope=None, kinds=None, settle=3.0, interval=None,
          max_workers=8, progress=None, sleep=time.sleep,
          clock=time.monotonic):
    """Collect, check, and confirm findings by reading again.

    ``settle`` <= 0 reports the first read's findings as they are.
    Otherwise, with ``interval`` None, one re-read ``settle`` seconds
    after the first read confirms the findings seen both times. With an
    ``interval``, the cloud is re-read every ``interval`` seconds until
    none of the first read's findings is left or ``settle`` seconds of
    waiting have passed, and only findings seen by every read are
    reported: a cloud that catches up returns as soon as it has, a leak
    is still reported after ``settle``. The wait between two reads is
    never shorter than the last read took, so that on a large cloud the
    audit reads at most half of the time.
    Unknown ``kinds`` raise checks.UnknownKind before anything is read.
    """
    kinds = checks.validate_kinds(kinds)
    started = clock()
    snapshot = snapshot_mod.collect(
        reader, scope, max_workers, progress,
        inventories=checks.needs_inventories(kinds))
    last_read = clock() - started
    first = checks.run_checks(snapshot, kinds)
    if not first or settle <= 0:
        return AuditResult(findings=first, snapshot=snapshot,
                           seconds=clock() - started)
    step = settle if interval is None else min(max(interval, 0.1), settle)
    findings, reads, waited = first, 1, 0.0
    while findings and waited < settle:
        pause = min(max(step, last_read), settle - waited)
        sleep(pause)
        waited += pause
        # A re-read only confirms: it runs the kinds still found, and reads
        # inventories only when one of those compares against them.
        kinds = {finding.kind for finding in findings}
        read_started = clock()
        snapshot = snapshot_mod.collect(
            reader, scope, max_workers, progress,
            inventories=checks.needs_inventories(kinds))
        last_read = clock() - read_started
        reads += 1
        seen_every_time = {finding.key for finding in findings}
        findings = [finding for finding in checks.run_checks(snapshot, kinds)
                    if finding.key in seen_every_time]
    confirmed = {finding.key for finding in findings}
    return AuditResult(
        findings=findings, snapshot=snapshot, seconds=clock() - started,
        transient=[f for f in first if f.key not in confirmed], reads=reads)
