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
"""Starts, watches and stops the local cloud's processes.

Every process runs in a session of its own and is recorded in
``run/<name>.json`` with its pid and command line. Stopping signals that
recorded process group only, after checking that the pid still runs the
recorded program, so a reused pid or an unrelated process of the same name
is never touched.
"""

import dataclasses
import json
import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from local_cloud import layout as layout_mod


class LocalCloudError(Exception):
    """A failure with a message fit for the user; exits non-zero."""


class PortInUse(LocalCloudError):
    def __init__(self, port, service):
        super().__init__(
            'port %d on %s, needed by %s, is already in use by another '
            'program; stop it or change the port' % (
                port, layout_mod.HOST, service))


class ServiceFailed(LocalCloudError):
    def __init__(self, name, why, log_path, happened='did not come up'):
        tail = read_tail(log_path)
        super().__init__('%s %s: %s\n--- last lines of %s ---\n%s'
                         % (name, happened, why, log_path, tail))


@dataclasses.dataclass
class ProcessSpec:
    """One long-running process of the cloud."""

    name: str
    argv: list
    env: dict = dataclasses.field(default_factory=dict)
    #: Ports (by name in Layout.ports) the process will listen on; checked
    #: free before start. The first one is polled for readiness.
    ports: tuple = ()
    #: 'http' polls the first port until it answers HTTP, 'tcp' until it
    #: accepts a connection, None only checks that the process stays alive.
    ready: str = None
    cwd: str = None


def read_tail(path, lines=40):
    try:
        with open(path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode('utf-8', 'replace')
    except OSError as exc:
        return '(no log: %s)' % exc
    return '\n'.join(text.splitlines()[-lines:])


def run_logged(name, argv, log, env=None):
    """Run a one-off command, its output appended to ``log``.

    Fails naming ``name`` with the end of the log when it exits non-zero.
    """
    pathlib.Path(log).parent.mkdir(parents=True, exist_ok=True)
    with open(log, 'ab') as out:
        result = subprocess.run([str(a) for a in argv], stdout=out,
                                stderr=subprocess.STDOUT, env=env)
    if result.returncode:
        raise ServiceFailed(name, 'exit code %d' % result.returncode, log)


def _proc_stat(pid):
    """Fields of /proc/<pid>/stat after the command name, or None."""
    try:
        stat = pathlib.Path('/proc/%d/stat' % pid).read_text()
    except OSError:
        return None
    return stat.rsplit(')', 1)[1].split()


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((layout_mod.HOST, port))
        except OSError:
            return False
    return True


def port_accepts(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((layout_mod.HOST, port)) == 0


def http_answers(url):
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP status means the application is serving
    except (urllib.error.URLError, OSError):
        return False


#: Signals a stopped process acts on at once (or that stop or continue it).
_NOT_DEFERRED_BY_FREEZE = (signal.SIGKILL, signal.SIGSTOP, signal.SIGCONT)


class Supervisor:

    def __init__(self, layout):
        self.layout = layout

    def _record_path(self, name):
        return self.layout.run / ('%s.json' % name)

    def log_path(self, name):
        return self.layout.logs / ('%s.log' % name)

    def record(self, name):
        try:
            return json.loads(self._record_path(name).read_text())
        except (OSError, ValueError):
            return None

    def names(self):
        if not self.layout.run.is_dir():
            return []
        return sorted(p.stem for p in self.layout.run.glob('*.json'))

    @staticmethod
    def _pid_runs(record):
        pid = record['pid']
        try:
            os.waitpid(pid, os.WNOHANG)  # reap it if it was our child
        except ChildProcessError:
            pass
        stat = _proc_stat(pid)
        if stat is None or stat[0] in ('Z', 'X'):
            return False
        # A pid is only ours while it is the process we started: same
        # start time (scripts exec into other programs, so not the name).
        return stat[19] == record.get('start_ticks')

    def pid(self, name):
        """The pid of a running process of ours by that name, or None."""
        record = self.record(name)
        if record and self._pid_runs(record):
            return record['pid']
        return None

    def start(self, spec):
        """Start a process unless it runs already; returns True if started."""
        if self.pid(spec.name):
            return False
        for port_name in spec.ports:
            if not port_is_free(self.layout.ports[port_name]):
                raise PortInUse(self.layout.ports[port_name], spec.name)
        self.layout.logs.mkdir(parents=True, exist_ok=True)
        self.layout.run.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(spec.env)
        log_path = self.log_path(spec.name)
        with open(log_path, 'ab') as log:
            log.write(('\n=== %s starting %s ===\n' % (
                time.strftime('%Y-%m-%d %H:%M:%S'), spec.name)).encode())
            log.flush()
            proc = subprocess.Popen(
                [str(a) for a in spec.argv], env=env, cwd=spec.cwd,
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        self._record_path(spec.name).write_text(json.dumps({
            'pid': proc.pid, 'start_ticks': _proc_stat(proc.pid)[19],
            'argv': [str(a) for a in spec.argv],
            'ports': [self.layout.ports[p] for p in spec.ports],
            'log': str(log_path), 'started': time.time()}))
        return True

    def forget(self, name):
        """Drop the record of a process that is gone for good."""
        self._record_path(name).unlink(missing_ok=True)

    def state(self, name):
        """'running', 'frozen' (stopped by SIGSTOP), or None: not running."""
        record = self.record(name)
        if not record or not self._pid_runs(record):
            return None
        stat = _proc_stat(record['pid'])
        return 'frozen' if stat and stat[0] == 'T' else 'running'

    def wait_ready(self, spec, timeout=120, label=None,
                   happened='did not come up'):
        """Wait until the process serves; fail naming it, with its log.

        ``label`` and ``happened`` word the failure (default: the process
        name and "did not come up").
        """
        deadline = time.monotonic() + timeout
        port = self.layout.ports[spec.ports[0]] if spec.ports else None
        label = label or spec.name
        while True:
            if not self.pid(spec.name):
                raise ServiceFailed(label, 'the process exited',
                                    self.log_path(spec.name), happened)
            if spec.ready == 'http' and http_answers(
                    'http://%s:%d/' % (layout_mod.HOST, port)):
                return
            if spec.ready == 'tcp' and port_accepts(port):
                return
            if spec.ready is None:
                return
            if time.monotonic() > deadline:
                raise ServiceFailed(
                    label, 'no answer on port %s after %d s'
                    % (port, timeout), self.log_path(spec.name), happened)
            time.sleep(0.5)

    def send_signal(self, name, signum):
        """Signal a process group of ours; returns False if not running.

        A frozen (SIGSTOPped) group would only act on a terminating signal
        once continued, so it is thawed first.
        """
        pid = self.pid(name)
        if not pid:
            return False
        try:
            if signum not in _NOT_DEFERRED_BY_FREEZE:
                os.killpg(pid, signal.SIGCONT)
            os.killpg(pid, signum)
        except ProcessLookupError:
            return False
        return True

    def freeze(self, name, timeout=10):
        """SIGSTOP the process group; returns once the process is stopped.

        The kernel stops a process when it next runs, not when the signal
        is sent.
        """
        self.send_signal(name, signal.SIGSTOP)
        deadline = time.monotonic() + timeout
        while self.state(name) == 'running':
            if time.monotonic() > deadline:
                raise LocalCloudError('%s did not stop on SIGSTOP within %d s'
                                      % (name, timeout))
            time.sleep(0.05)

    def stop(self, name, timeout=30, signum=signal.SIGTERM):
        """Stop one process and its children; SIGKILL after ``timeout``.

        Returns False when nothing of it was running.
        """
        record = self.record(name)
        if not record or not (self.send_signal(name, signum) or
                              self._group_alive(record['pid'])):
            return False
        deadline = time.monotonic() + timeout
        while self._pid_runs(record) or self._group_alive(record['pid']):
            if time.monotonic() > deadline:
                # The leader may be gone while a child of it lingers.
                try:
                    os.killpg(record['pid'], signal.SIGKILL)
                except ProcessLookupError:
                    pass
                deadline = time.monotonic() + 10
            time.sleep(0.2)
        return True

    @staticmethod
    def _group_alive(pgid):
        """True while a process of the group runs.

        Zombies do not count: in a container nobody may reap them.
        """
        for stat_path in pathlib.Path('/proc').glob('[0-9]*/stat'):
            try:
                fields = stat_path.read_text().rsplit(')', 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] not in ('Z', 'X'):
                return True
        return False
