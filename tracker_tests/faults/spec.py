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
"""Fault files: the faults a compute's driver or Placement has to inject.

A fault file is JSON, ``{"faults": [fault, ...]}``. The first pending
fault that matches a call is used for that call and its count goes down by
one; at zero it is gone, and the file goes with the last one. A compute
fault (in ``<state_path>/tracker-faults.json`` of that compute)::

    {"method": "spawn", "action": "sleep-raise", "seconds": 5.0,
     "count": 2, "exception": "BuildAbortException"}

and a Placement one::

    {"method": "PUT", "path": "^/allocations/", "status": 409, "count": 1}

Every read-modify-write of a file holds ``<file>.lock`` exclusively
(flock) between processes (nova-compute, Placement's uwsgi workers, the
command line), and a lock of this module between the threads or
greenthreads of one process, for flock belongs to an open file, not to
a thread: concurrent consumers and writers never lose an update.
"""

import contextlib
import dataclasses
import difflib
import fcntl
import json
import os
import re
import tempfile
import threading

#: In the compute's [DEFAULT] state_path, beside its compute_id.
COMPUTE_FAULT_FILE = 'tracker-faults.json'
#: Written there by the fault driver when it starts: the methods it can
#: fail and the exceptions it can raise, for checking a fault on writing.
DRIVER_INFO_FILE = 'tracker-fault-driver.json'

COMPUTE_ACTIONS = ('raise', 'sleep', 'sleep-raise', 'hold')
#: Beside the fault file while a call is held ('hold'): the call goes on
#: once it is gone (``release`` or ``clear``) or its seconds ran out.
HOLD_SUFFIX = '.held'
DEFAULT_EXCEPTION = 'NovaException'
#: Long enough for any test; a longer one is a mistake (minutes vs s).
MAX_SECONDS = 3600
HTTP_METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE')
PLACEMENT_STATUSES = (409, 503)
#: A Placement fault's status that answers nothing itself: the request
#: waits its seconds, then Placement serves it.
DELAY = 'delay'

_IDENTIFIER = re.compile(r'[A-Za-z_]\w*\Z')
_UUID = re.compile(r'[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}\Z')
#: A compute fault's instance meaning every call of the method.
ANY_INSTANCE = 'any'

_THREADS = threading.Lock()


class FaultError(ValueError):
    """A fault or fault file that cannot be used; says what is wrong."""


def _whole_number(value, what, minimum):
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value), 10)
        except ValueError:
            raise FaultError('%s must be a whole number, not %r'
                             % (what, value))
    if value < minimum:
        raise FaultError('%s must be at least %d, not %d'
                         % (what, minimum, value))
    return value


def _seconds(value, waits, action):
    """``value`` as seconds; an ``action`` that ``waits`` needs more than 0
    and at most MAX_SECONDS.
    """
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise FaultError('seconds must be a number, not %r' % (value,))
    if waits and not 0 < seconds <= MAX_SECONDS:
        raise FaultError('%s needs seconds between 0 and %d, not %s'
                         % (action, MAX_SECONDS, value))
    return seconds


def _closest(name, known):
    close = difflib.get_close_matches(name, sorted(known), n=3)
    return ' (closest: %s)' % ', '.join(close) if close else ''


@dataclasses.dataclass(frozen=True)
class ComputeFault:
    """The next ``count`` calls of the driver method ``method``: raise
    ``exception``, sleep ``seconds``, or sleep then raise.
    """

    method: str
    action: str
    count: int = 1
    seconds: float = 0.0
    exception: str = DEFAULT_EXCEPTION
    #: Only calls about this server (the driver method's ``instance``):
    #: another test's server on the same compute never takes the fault.
    #: None: any call, with or without a server (update_provider_tree).
    instance: str | None = None

    @property
    def key(self):
        return (self.method, self.instance)

    @property
    def sleeps(self):
        return self.action in ('sleep', 'sleep-raise', 'hold')

    @property
    def raises(self):
        return self.action in ('raise', 'sleep-raise')

    def matches(self, method, instance=None):
        return self.method == method and self.instance in (None, instance)

    def validated(self, methods=None, exceptions=None):
        """A normalised copy; FaultError naming what is wrong.

        ``methods`` and ``exceptions``: the names the driver accepts
        (from its DRIVER_INFO_FILE), when known.
        """
        if not isinstance(self.method, str) or not _IDENTIFIER.match(
                self.method) or self.method.startswith('_'):
            raise FaultError('%r is not a driver method name' %
                             (self.method,))
        if methods is not None and self.method not in methods:
            raise FaultError('the driver has no method %r%s' % (
                self.method, _closest(self.method, methods)))
        if self.action not in COMPUTE_ACTIONS:
            raise FaultError('unknown fault %r for %s; one of: %s' % (
                self.action, self.method, ', '.join(COMPUTE_ACTIONS)))
        count = _whole_number(self.count, 'count', 1)
        seconds = _seconds(self.seconds, self.sleeps, self.action)
        if not self.sleeps and seconds:
            raise FaultError('raise does not sleep (seconds %s); use '
                             'sleep-raise' % self.seconds)
        # Checked for every action: a command template passes one always,
        # and a misspelt one is a mistake even where it is not raised.
        if not isinstance(self.exception, str) or not _IDENTIFIER.match(
                self.exception):
            raise FaultError('%r is not an exception class name'
                             % (self.exception,))
        if exceptions is not None and self.exception not in exceptions:
            raise FaultError('nova.exception has no class %r%s' % (
                self.exception, _closest(self.exception, exceptions)))
        instance = self.instance
        if instance in (ANY_INSTANCE, ''):
            instance = None
        if instance is not None and not _UUID.match(str(instance)):
            raise FaultError('instance must be a server uuid or %r, not %r'
                             % (ANY_INSTANCE, instance))
        return dataclasses.replace(self, count=count, seconds=seconds,
                                   instance=instance)

    def describe(self):
        what = {
            'raise': 'raise %s' % self.exception,
            'sleep': 'sleep %g s' % self.seconds,
            'sleep-raise': 'sleep %g s, then raise %s' % (
                self.seconds, self.exception),
            'hold': 'hold until released (at most %g s)' % self.seconds,
        }[self.action]
        return '%s: %s, the next %d call%s%s' % (
            self.method, what, self.count, 's' if self.count > 1 else '',
            ' for server %s' % self.instance if self.instance else '')


@dataclasses.dataclass(frozen=True)
class PlacementFault:
    """The next ``count`` requests ``method`` on a path matching the
    regular expression ``path`` (re.search): answered with ``status``,
    or, with status DELAY, served by Placement ``seconds`` late.
    """

    method: str
    path: str
    status: int | str
    count: int = 1
    seconds: float = 0.0

    @property
    def delays(self):
        return self.status == DELAY

    @property
    def key(self):
        return (self.method, self.path)

    def matches(self, method, path):
        return self.method == method and re.search(self.path, path)

    def validated(self):
        method = str(self.method).upper()
        if method not in HTTP_METHODS:
            raise FaultError('unknown HTTP method %r; one of: %s' % (
                self.method, ', '.join(HTTP_METHODS)))
        if not isinstance(self.path, str) or not self.path:
            raise FaultError('the path pattern must be a non-empty regular '
                             'expression, not %r' % (self.path,))
        try:
            re.compile(self.path)
        except re.error as exc:
            raise FaultError('the path pattern %r is not a regular '
                             'expression: %s' % (self.path, exc))
        statuses = ', '.join(map(str, PLACEMENT_STATUSES + (DELAY,)))
        if self.delays:
            status = DELAY
        else:
            try:
                status = _whole_number(self.status, 'status', 0)
            except FaultError:
                raise FaultError('status must be one of %s, not %r'
                                 % (statuses, self.status))
            if status not in PLACEMENT_STATUSES:
                raise FaultError('status must be one of %s, not %d'
                                 % (statuses, status))
        count = _whole_number(self.count, 'count', 1)
        seconds = _seconds(self.seconds, status == DELAY, DELAY)
        if status != DELAY and seconds:
            raise FaultError('an answer of %d comes at once (seconds %s); '
                             'seconds go with %s' % (status, self.seconds,
                                                     DELAY))
        return dataclasses.replace(self, method=method, status=status,
                                   count=count, seconds=seconds)

    def describe(self):
        what = ('serve %g s late' % self.seconds if self.delays
                else 'answer %d' % self.status)
        return '%s %s: %s, the next %d request%s' % (
            self.method, self.path, what, self.count,
            's' if self.count > 1 else '')


class FaultFile:
    """One fault file, of ComputeFault or PlacementFault entries."""

    def __init__(self, path, kind):
        self.path = os.fspath(path)
        self.kind = kind

    @contextlib.contextmanager
    def _locked(self):
        with _THREADS:
            fd = os.open(self.path + '.lock', os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # releases the flock

    def _read(self):
        try:
            with open(self.path) as f:
                data = json.load(f)
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise FaultError('cannot read the fault file %s: %s'
                             % (self.path, exc))
        try:
            return [self.kind(**entry).validated()
                    for entry in data['faults']]
        except (KeyError, TypeError, FaultError) as exc:
            raise FaultError('bad fault file %s: %s' % (self.path, exc))

    def _write(self, faults):
        if not faults:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            return
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(self.path),
                                   prefix='.tracker-faults-')
        try:
            with os.fdopen(fd, 'w') as f:
                json.dump({'faults': [dataclasses.asdict(fault)
                                      for fault in faults]}, f, indent=1)
            os.chmod(tmp, 0o644)
            # Readers see the old file or the new one, never half of one.
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def pending(self):
        with self._locked():
            return self._read()

    def add(self, fault):
        """Add a validated fault; it replaces a pending one of the same
        method (and path).
        """
        with self._locked():
            faults = [f for f in self._read() if f.key != fault.key]
            self._write(faults + [fault])

    def clear(self):
        """Remove every pending fault and release a held call; returns
        the faults.
        """
        with self._locked():
            faults = self._read()
            self._write([])
            self.release()
            return faults

    @property
    def hold_path(self):
        return self.path + HOLD_SUFFIX

    def hold(self, description):
        """Mark a call as held (by the driver, as it starts holding)."""
        with open(self.hold_path, 'w') as f:
            f.write(description)

    def held(self):
        """What is held now, or None."""
        try:
            with open(self.hold_path) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def release(self):
        """Let a held call go on; True if one was held."""
        try:
            os.unlink(self.hold_path)
        except FileNotFoundError:
            return False
        return True

    def consume(self, *call):
        """The first pending fault matching ``call`` (its arguments are
        those of the kind's ``matches``), counted down by one; None when
        there is none.
        """
        if not os.path.exists(self.path):
            return None  # the common case, without taking the lock
        with self._locked():
            faults = self._read()
            for index, fault in enumerate(faults):
                if fault.matches(*call):
                    left = dataclasses.replace(fault, count=fault.count - 1)
                    faults[index:index + 1] = [left] if left.count else []
                    self._write(faults)
                    return fault
            return None


def compute_fault_file(state_path):
    return FaultFile(os.path.join(state_path, COMPUTE_FAULT_FILE),
                     ComputeFault)


def read_driver_info(state_path):
    """What the fault driver of a compute accepts, or None if it never
    started there: {"driver": ..., "methods": [...], "exceptions": [...]}.
    """
    try:
        with open(os.path.join(state_path, DRIVER_INFO_FILE)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise FaultError('cannot read %s: %s' % (
            os.path.join(state_path, DRIVER_INFO_FILE), exc))


def write_driver_info(state_path, driver, methods, exceptions):
    path = os.path.join(state_path, DRIVER_INFO_FILE)
    fd, tmp = tempfile.mkstemp(dir=state_path, prefix='.tracker-driver-')
    with os.fdopen(fd, 'w') as f:
        json.dump({'driver': driver, 'methods': sorted(methods),
                   'exceptions': sorted(exceptions)}, f, indent=1)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
