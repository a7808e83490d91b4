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
"""``tools/localcloud``: bring a real one-machine Nova cloud up and down."""

import argparse
import concurrent.futures
import contextlib
import dataclasses
import fcntl
import json
import os
import pathlib
import secrets as secrets_mod
import select
import shutil
import signal
import sys
import time

from local_cloud import broker
from local_cloud import clients
from local_cloud import control
from local_cloud import fix_reverts
from local_cloud import install
from local_cloud import layout as layout_mod
from local_cloud import nova_service
from local_cloud import placement_service
from local_cloud import services
from local_cloud import supervisor
from tracker_tests.faults import cli as faults_cli
from tracker_tests.faults import spec as fault_spec

EXIT_USAGE = 2
DEFAULT_COMPUTES = 3


def load_secrets(layout):
    """Random passwords, made once per cloud.

    The file is readable by root only and nothing here prints them.
    """
    if layout.secrets_file.exists():
        return json.loads(layout.secrets_file.read_text())
    values = {name: secrets_mod.token_urlsafe(18) for name in (
        'db_password', 'admin_password', 'demo_password',
        'service_password')}
    layout.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(layout.secrets_file, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, 'w') as f:
        json.dump(values, f)
    return values


def load_state(layout):
    try:
        return json.loads(layout.state_file.read_text())
    except (OSError, ValueError):
        return None


def computes_of(layout):
    """The computes the last ``up`` started.

    A state file written by another version of this tool may name fields
    this one does not know: they are left out rather than failing every
    command on a running cloud.
    """
    state = load_state(layout)
    if not state:
        return []
    known = {f.name for f in dataclasses.fields(nova_service.Compute)}
    return [nova_service.Compute(**{k: v for k, v in c.items() if k in known})
            for c in state['computes']]


def throwaway_hosts(layout):
    """Hosts of the computes ``compute add`` started, not yet removed."""
    return (load_state(layout) or {}).get('throwaway_computes', [])


def every_compute(layout):
    """The computes of the last ``up`` and the throwaway ones."""
    return computes_of(layout) + [nova_service.throwaway_compute(host)
                                  for host in throwaway_hosts(layout)]


def write_state(layout, state):
    """Replace the state file at once: a control command of a test
    running meanwhile reads the old state or the new, never half of it.
    """
    partial = layout.state_file.with_suffix('.partial')
    partial.write_text(json.dumps(state, indent=2))
    os.replace(partial, layout.state_file)


def _record_throwaway(layout, host, present):
    state = load_state(layout)
    hosts = [h for h in state.get('throwaway_computes', []) if h != host]
    state['throwaway_computes'] = hosts + ([host] if present else [])
    write_state(layout, state)


@contextlib.contextmanager
def _computes_changing(layout):
    """One ``compute add`` or ``remove`` at a time: they read and write
    the state file, and nova-manage's host discovery must not run twice
    at once.
    """
    with open(layout.root / 'computes.lock', 'w') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print('waiting for another compute add or remove to end',
                  file=sys.stderr)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def write_files(files, mode=0o644):
    for path, text in files.items():
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)


class Up:
    """The steps of ``up``, each skipped when its result is there."""

    def __init__(self, layout, compute_count, fault_computes):
        self.layout = layout
        self.sup = supervisor.Supervisor(layout)
        # As the last up unless told otherwise, but always as defined
        # now: a cloud made by an older version gets today's computes.
        previous = computes_of(layout)
        regular = [c for c in previous if not c.role]
        computes = nova_service.default_computes(
            compute_count or len(regular) or DEFAULT_COMPUTES,
            fault_computes if fault_computes is not None else (
                not previous or any(c.role for c in previous)))
        # Started again too, until they are removed.
        self.throwaway = throwaway_hosts(layout)
        computes += [nova_service.throwaway_compute(host)
                     for host in self.throwaway]
        self.ctx = services.Context(
            layout, computes, secrets=load_secrets(layout),
            run=_logged_runner(self.sup), sup=self.sup)

    def __call__(self):
        t0 = time.monotonic()
        ctx = self.ctx
        # Only the admin's files hold passwords; keep them private.
        write_files(services.config_files(ctx), mode=0o600)
        # What an earlier outage of the bus noted is not this start's.
        broker.forget_consumed_queues(ctx.layout)
        self.start_services(services.stages())
        provision = _provision()
        provision.zones(ctx.layout, ctx.secrets, ctx.computes)
        provision.enable_new_computes(ctx.layout, ctx.secrets,
                                      [c.host for c in ctx.computes])
        image_id = provision.image(ctx.layout, ctx.secrets)
        provision.flavors(ctx.layout, ctx.secrets)
        write_files({
            ctx.layout.clouds_yaml: clients.clouds_yaml(ctx.layout,
                                                        ctx.secrets),
            ctx.layout.tempest_conf: clients.tempest_conf(
                ctx.layout, ctx.secrets, image_id, ctx.computes),
        }, mode=0o600)
        (ctx.layout.tempest_dir / 'lock').mkdir(parents=True, exist_ok=True)
        write_state(ctx.layout, {
            'computes': [vars(c) for c in ctx.computes
                         if c.host not in self.throwaway],
            'throwaway_computes': self.throwaway,
            'image_id': image_id,
        })
        hosts = [c.host for c in ctx.computes]
        print('local cloud up in %.0f s: %d computes (%s)' % (
            time.monotonic() - t0, len(hosts), ', '.join(hosts)))
        print('use it: eval "$(%s env)"'
              % clients.localcloud_command(ctx.layout))

    def start_services(self, stages):
        for stage in stages:
            self._prepare_in_parallel(stage)
            specs = services.process_specs(self.ctx, stage)
            for spec in specs:
                self.sup.start(spec)
            for spec in specs:
                self.sup.wait_ready(spec)
            for service in stage:
                if service.after_start:
                    service.after_start(self.ctx)

    def _prepare_in_parallel(self, stage):
        """The preparation (database migrations) of the services of a
        stage that are not all running.

        They are independent and each mostly waits on MariaDB.
        """
        jobs = [service.prepare for service in stage if service.prepare and
                not all(self.sup.pid(spec.name)
                        for spec in service.processes(self.ctx))]
        with concurrent.futures.ThreadPoolExecutor(len(jobs) or 1) as pool:
            for future in [pool.submit(job, self.ctx) for job in jobs]:
                future.result()


def _logged_runner(sup):
    def run(name, argv, env=None):
        """A one-off set-up command, logged to logs/<name>.log."""
        supervisor.run_logged(name, argv, sup.log_path(name), env)
    return run


def _provision():
    # Imported late: it needs openstacksdk, found only in the cloud's venv.
    from local_cloud import provision
    return provision


def _in_cloud_venv(layout):
    return pathlib.Path(sys.prefix).resolve() == layout.venv.resolve()


def cmd_up(layout, args):
    if args.fresh:
        cmd_destroy(layout, args)
    if not _in_cloud_venv(layout):
        layout.logs.mkdir(parents=True, exist_ok=True)
        install.ensure_apt_packages(layout.logs / 'install.log')
        install.ensure_venv(layout, layout.logs / 'install.log')
        argv = ['up']
        if args.computes:
            argv += ['--computes', str(args.computes)]
        if args.fault_computes is not None:
            argv += ['--fault-computes' if args.fault_computes
                     else '--no-fault-computes']
        _run_in_cloud_venv(layout, argv)
    Up(layout, args.computes, args.fault_computes)()
    return 0


def _run_in_cloud_venv(layout, argv):
    """Run this tool again with ``argv`` in the cloud's virtualenv, where
    openstacksdk is; does not return.
    """
    python = str(layout.venv_bin('python'))
    os.execv(python, [python, str(layout_mod.REPO_ROOT / 'tools' /
                                  'localcloud'),
                      '--state-dir', str(layout.root)] + argv)


def cmd_status(layout, args):
    computes = every_compute(layout)
    sup = supervisor.Supervisor(layout)
    if not computes and not sup.names():
        print(_no_cloud(layout))
        return 1
    ctx = services.Context(layout, computes)
    rows = [(service.name, spec) for service in services.REGISTRY
            for spec in service.processes(ctx)]
    widths = [max(len(name) for name, _ in rows) + 1,
              max(len(spec.name) for _, spec in rows) + 1]
    row = '%%-%ds %%-%ds %%-8s %%-6s %%s' % tuple(widths)
    print(row % ('SERVICE', 'PROCESS', 'PID', 'PORT', 'STATE'))
    unhealthy = 0
    for name, spec in rows:
        pid = sup.pid(spec.name)
        port = layout.ports[spec.ports[0]] if spec.ports else None
        if sup.state(spec.name) == 'frozen':
            state = 'frozen'  # its port accepts; nothing answers
        elif pid and (port is None or supervisor.port_accepts(port)):
            state = 'up'
        else:
            state = 'down'
        unhealthy += state != 'up'
        print(row % (name, spec.name, pid or '-', port or '-', state))
    pinned = nova_service.conductor_compute_rpc_pin(layout)
    if pinned:
        print('nova-conductor sends compute RPC %s at most (undo: '
              'tools/localcloud conductor unpin)' % pinned)
    return 1 if unhealthy else 0


def cmd_down(layout, args):
    sup = supervisor.Supervisor(layout)
    ctx = services.Context(layout, every_compute(layout))
    infrastructure = [s for s in services.REGISTRY if s.infrastructure]
    last = [spec.name for spec in reversed(
        services.process_specs(ctx, infrastructure))]
    order = [spec.name for spec in services.process_specs(ctx)]
    recorded = sup.names()
    names = [n for n in reversed(order) if n in recorded]
    names += [n for n in recorded if n not in order]
    first = [n for n in names if n not in last]
    # A frozen process would not act on SIGTERM, and one frozen service
    # (the database) would hold up the shutdown of the others.
    for name in names:
        if sup.state(name) == 'frozen':
            sup.send_signal(name, signal.SIGCONT)
    # What uses the infrastructure shuts down in parallel: signal all,
    # then wait for each.
    signalled = {name for name in first
                 if sup.send_signal(name, signal.SIGTERM)}
    for name in first + [n for n in last if n in recorded]:
        # Quick ones are gone before stop() looks.
        if sup.stop(name) or name in signalled:
            print('stopped %s' % name)
    # The next up starts every service afresh: nothing to wait for.
    broker.forget_consumed_queues(layout)
    return 0


def cmd_destroy(layout, args):
    cmd_down(layout, args)
    if not layout.root.exists():
        return 0
    for child in layout.root.iterdir():
        # The virtualenv is an install cache, not state of the cloud.
        if child == layout.venv and not getattr(args, 'all', False):
            continue
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    print('removed the local cloud\'s state in %s' % layout.root)
    return 0


def _usage_error(message):
    print('localcloud: %s' % message, file=sys.stderr)
    return EXIT_USAGE


def cmd_compute(layout, args):
    if args.action == 'add':
        return _add_compute(layout, args.host, args.options)
    if args.action == 'remove':
        return _remove_compute(layout, args.host)
    hosts = {c.host: c for c in every_compute(layout)}
    if args.host not in hosts:
        return _usage_error('unknown compute host %r; this cloud has: %s' % (
            args.host, ', '.join(sorted(hosts)) or 'none (run up)'))
    if args.action == 'fault':
        try:
            print(faults_cli.compute_command(
                args.host, nova_service.state_path(layout, args.host), args))
        except fault_spec.FaultError as exc:
            return _usage_error(exc)
        except faults_cli.DriverNotRunning as exc:
            raise supervisor.LocalCloudError(exc)
        return 0
    if args.action in ('set', 'reset'):
        return _configure_compute(layout, hosts[args.host], args)
    print(control.act(supervisor.Supervisor(layout),
                      _compute_target(layout, hosts[args.host]),
                      args.action))
    return 0


def _add_compute(layout, host, options=''):
    """``compute add HOST [--options OPTION=VALUE,...]``: a new compute
    in the throwaway zone, with those options from its first start,
    usable once this returns.
    """
    try:
        compute = nova_service.throwaway_compute(host)
        pairs = nova_service.parse_options(options)
    except ValueError as exc:
        return _usage_error(exc)
    if not layout.state_file.exists():
        return _usage_error(_no_cloud(layout))
    if host in {c.host for c in every_compute(layout)}:
        return _usage_error('the compute %s exists already' % host)
    # Else the new compute would wait the whole timeout for an API.
    _require_shared_services(layout)
    if not _in_cloud_venv(layout):
        _run_in_cloud_venv(layout, ['compute', 'add', host,
                                    '--options', options])
    with _computes_changing(layout):
        # Again under the lock: another add of the name may have won.
        if host in throwaway_hosts(layout):
            return _usage_error('the compute %s exists already' % host)
        # Recorded first: "compute remove" takes away a half-added one.
        _record_throwaway(layout, host, True)
        try:
            _start_new_compute(layout, compute, pairs)
        except Exception as exc:
            # openstacksdk's own errors too: whatever stopped it, say how
            # to take away what was started.
            raise supervisor.LocalCloudError(
                '%s\nthe compute %s is half added: tools/localcloud compute '
                'remove %s' % (exc, host, host)) from exc
    print('added the compute %s in zone %s' % (host, compute.zone))
    return 0


def _no_cloud(layout):
    return ('no local cloud in %s; start one with: tools/localcloud up'
            % layout.root)


def _require_shared_services(layout):
    """LocalCloudError naming each service (not a compute) that is
    stopped or frozen.
    """
    sup = supervisor.Supervisor(layout)
    ctx = services.Context(layout, [])
    away = {}
    for service in services.REGISTRY:
        if service.per_host:
            continue
        for spec in service.processes(ctx):
            state = sup.state(spec.name)
            if state != 'running':
                away[service.name] = state or 'stopped'
    if away:
        raise supervisor.LocalCloudError(
            'the local cloud does not serve: %s; "tools/localcloud up" '
            'starts what is stopped, "tools/localcloud service thaw NAME" '
            'thaws a frozen service' % ', '.join(
                '%s (%s)' % kv for kv in sorted(away.items())))


def _start_new_compute(layout, compute, options):
    for option, value in options:
        nova_service.set_compute_option(layout, compute.host, option, value)
    sup = supervisor.Supervisor(layout)
    ctx = services.Context(layout, [compute], secrets=load_secrets(layout),
                           run=_logged_runner(sup), sup=sup)
    write_files(nova_service.compute_config_files(ctx))
    nova_service.prepare_computes(ctx)
    spec = nova_service.compute_spec(layout, compute)
    sup.start(spec)
    sup.wait_ready(spec)
    nova_service.wait_until_computes_usable(ctx)
    provision = _provision()
    # Enabled before it sits in its zone, it could take any test's server.
    reason = provision.disabled_reason(layout, ctx.secrets, compute.host)
    if reason != nova_service.NEW_SERVICE_DISABLED_REASON:
        raise supervisor.LocalCloudError(
            'nova made the new compute %s %s: nova-conductor runs without '
            '[DEFAULT] enable_new_services = False; restart it '
            '(tools/localcloud service stop nova-conductor, then start)'
            % (compute.host, 'disabled (%s)' % reason if reason
               else 'enabled'))
    provision.zones(layout, ctx.secrets, [compute])
    provision.enable_new_computes(layout, ctx.secrets, [compute.host])


def _remove_compute(layout, host):
    """``compute remove HOST``: stop a throwaway compute, delete its
    service (and so its provider), forget it.
    """
    if not nova_service.THROWAWAY_HOST.fullmatch(host):
        return _usage_error(
            'only the computes "compute add" started can be removed; %s is '
            'not one of them (%s)' % (
                host, ', '.join(throwaway_hosts(layout)) or 'none'))
    if host not in throwaway_hosts(layout):
        # A cleanup after an add that failed before it recorded anything.
        print('no compute %s to remove' % host)
        return 0
    if not _in_cloud_venv(layout):
        _run_in_cloud_venv(layout, ['compute', 'remove', host])
    compute = nova_service.throwaway_compute(host)
    with _computes_changing(layout):
        if host not in throwaway_hosts(layout):
            print('no compute %s to remove: removed meanwhile' % host)
            return 0
        sup = supervisor.Supervisor(layout)
        control.act(sup, _compute_target(layout, compute), 'stop')
        provision = _provision()
        try:
            provision.delete_compute(layout, load_secrets(layout), host)
        except provision.ComputeRemovalRefused as exc:
            raise supervisor.LocalCloudError(
                '%s; %s is stopped, run "compute remove %s" again once '
                'that is gone' % (exc, host, host))
        nova_service.remove_compute_files(layout, host)
        sup.forget(nova_service.compute_spec(layout, compute).name)
        _record_throwaway(layout, host, False)
    print('removed the compute %s: its service, provider and files' % host)
    return 0


def _configure_compute(layout, compute, args):
    """``compute set HOST OPTION VALUE`` / ``compute reset HOST``: change
    the compute's own options, then restart it so that they apply.
    """
    overrides = nova_service.compute_overrides_path(layout, compute.host)
    if args.action == 'set':
        try:
            nova_service.set_compute_option(layout, compute.host,
                                            args.option, args.value)
        except ValueError as exc:
            return _usage_error(exc)
        done = 'set %s = %s on %s' % (args.option, args.value, compute.host)
    elif overrides.exists():
        overrides.unlink()
        done = 'reset the options of %s' % compute.host
    else:
        print('nothing set on %s' % compute.host)
        return 0
    sup = supervisor.Supervisor(layout)
    control.act(sup, _compute_target(layout, compute), 'stop')
    # Built again: the command line names the overrides only if they exist.
    control.act(sup, _compute_target(layout, compute), 'start')
    print('%s and restarted it' % done)
    return 0


def cmd_placement(layout, args):
    try:
        print(faults_cli.placement_command(
            placement_service.fault_file(layout), args))
    except fault_spec.FaultError as exc:
        return _usage_error(exc)
    return 0


def cmd_service(layout, args):
    service = services.by_name(args.name)
    if service is None or service.per_host:
        hint = ' (computes: tools/localcloud compute ACTION HOST)' if (
            service) else ''
        return _usage_error('unknown service %r%s; the services are: %s' % (
            args.name, hint, ', '.join(services.controllable())))
    sup = supervisor.Supervisor(layout)
    target = _service_target(layout, service, computes_of(layout))
    print(control.act(sup, target, args.action))
    return 0


def cmd_fix(layout, args):
    """``fix list``, ``fix revert BUG``, ``fix restore BUG``."""
    reverts = fix_reverts.available()
    if args.action == 'list':
        for bug, fix in reverts.items():
            print('%-10s %-9s %s' % (
                bug, 'reverted' if fix_reverts.is_reverted(layout, fix)
                else 'in place', fix.summary))
        return 0
    fix = reverts.get(args.bug)
    if fix is None:
        return _usage_error('no revert of the fix of bug %r; there are: %s'
                            % (args.bug, ', '.join(reverts)))
    change = (fix_reverts.revert if args.action == 'revert'
              else fix_reverts.restore)
    if not change(layout, fix):
        print('the fix of bug %s is already %s' % (
            fix.bug, 'reverted' if args.action == 'revert' else 'in place'))
        return 0
    # The patched modules load only in a fresh process.
    _restart(layout, fix.restart)
    print('%s the fix of bug %s and restarted %s' % (
        'reverted' if args.action == 'revert' else 'restored', fix.bug,
        ', '.join(fix.restart)))
    return 0


def cmd_conductor(layout, args):
    """``conductor pin VERSION`` / ``conductor unpin``: cap the compute
    RPC API version nova-conductor sends, or stop capping it; restarts
    it.
    """
    if not layout.state_file.exists():
        return _usage_error(_no_cloud(layout))
    if args.action == 'pin':
        try:
            nova_service.check_compute_rpc_version(args.version)
        except ValueError as exc:
            return _usage_error(str(exc))
    pinned = nova_service.conductor_compute_rpc_pin(layout)
    if args.action == 'unpin':
        if pinned is None:
            print('nova-conductor is not pinned')
            return 0
        # Removed whatever else fails: the conductor's next start, by
        # this command or by up, is unpinned.
        nova_service.service_overrides_path(layout, 'nova-conductor').unlink()
        done = 'unpinned nova-conductor (from %s)' % pinned
        try:
            _require_shared_services(layout)
        except supervisor.LocalCloudError as exc:
            raise supervisor.LocalCloudError(
                '%s, not restarted: %s' % (done, exc))
    else:
        # Checked before anything is written: a restart could not apply
        # it.
        _require_shared_services(layout)
        if pinned == args.version:
            print('nova-conductor sends compute RPC %s already' % pinned)
            return 0
        nova_service.pin_conductor_compute_rpc(layout, args.version)
        done = 'pinned the compute RPC of nova-conductor to %s' % (
            args.version)
    _restart(layout, ['nova-conductor'])
    print('%s and restarted it' % done)
    return 0


def _restart(layout, names):
    """Stop and start these services (fix_reverts.COMPUTES: every
    compute); return once the computes report through a restarted
    nova-conductor.
    """
    sup = supervisor.Supervisor(layout)
    restarted_at = time.time()
    for target in _restart_targets(layout, names):
        control.act(sup, target, 'stop')
        control.act(sup, target, 'start')
    if 'nova-conductor' in names:
        # The computes' heartbeats go through the conductor: while it was
        # away they stopped, and a compute that looks down refuses moves.
        # A compute stopped on purpose sends none.
        nova_service.wait_for_compute_heartbeats(
            layout, [c.host for c in every_compute(layout)
                     if sup.state(nova_service.compute_spec(
                         layout, c).name) == 'running'], restarted_at)


def _restart_targets(layout, names):
    computes = every_compute(layout)
    for name in names:
        if name == fix_reverts.COMPUTES:
            for compute in computes:
                yield _compute_target(layout, compute)
            continue
        service = services.by_name(name)
        if service is None or service.per_host:
            raise supervisor.LocalCloudError(
                'fix-reverts: unknown service %r in a Restart: line' % name)
        yield _service_target(layout, service, computes)


def _compute_target(layout, compute):
    return control.Target('nova-compute on %s' % compute.host,
                          [nova_service.compute_spec(layout, compute)])


def _service_target(layout, service, computes):
    return control.Target(
        service.name, service.processes(services.Context(layout, computes)),
        service.confirm_up, service.before_outage)


def cmd_env(layout, args):
    exports = {
        'OS_CLIENT_CONFIG_FILE': layout.clouds_yaml,
        'OS_CLOUD': clients.ADMIN_CLOUD,
        'TEMPEST_CONFIG_DIR': layout.tempest_conf.parent,
        'TEMPEST_CONFIG': layout.tempest_conf.name,
        'LOCALCLOUD_DIR': layout.root,
        'LOCALCLOUD_TEMPEST_WORKSPACE': layout.tempest_dir,
    }
    for key, value in exports.items():
        print('export %s=%s' % (key, value))
    # Appended, so that an openstack or tempest already on PATH wins.
    print('export PATH="$PATH:%s"' % layout.venv_bin(''))
    return 0


def parser():
    p = argparse.ArgumentParser(
        prog='localcloud',
        description='Bring a real one-machine Nova cloud up and down.')
    p.add_argument('--state-dir', metavar='DIR',
                   help='where the cloud keeps everything (default: '
                        '$LOCALCLOUD_DIR or .localcloud/ in the repo)')
    sub = p.add_subparsers(dest='command', required=True)
    up = sub.add_parser('up', help='install what is missing, start the '
                        'cloud and wait until every compute is usable')
    up.add_argument('--computes', type=_positive, metavar='N',
                    help='number of fake computes (default %d, or as the '
                         'last up)' % DEFAULT_COMPUTES)
    up.add_argument('--fault-computes', action=argparse.BooleanOptionalAction,
                    help='also run the fault-injecting computes (%s) in '
                         'zone %r and the strict ones (%s) in zone %r '
                         '(default: yes, or as the last up)' % (
                             ', '.join(c.host for c in
                                       nova_service.FAULT_COMPUTES),
                             nova_service.FAULT_ZONE,
                             ', '.join(c.host for c in
                                       nova_service.STRICT_COMPUTES),
                             nova_service.STRICT_ZONE))
    up.add_argument('--fresh', action='store_true',
                    help='wipe databases and state first')
    sub.add_parser('status', help='each service with pid, port and state; '
                   'non-zero exit when one is down')
    sub.add_parser('down', help='stop every process (data is kept)')
    destroy = sub.add_parser('destroy', help='down, then wipe state and '
                             'databases')
    destroy.add_argument('--all', action='store_true',
                         help='also remove the virtualenv')
    compute = sub.add_parser(
        'compute', help='stop, start, kill, freeze or thaw the '
        'nova-compute of one host, or make calls of its driver fail, to '
        'inject a failure')
    actions = compute.add_subparsers(dest='action', required=True,
                                     metavar='ACTION')
    for action, what in (
            ('stop', 'SIGTERM'), ('start', 'and wait until it runs'),
            ('kill', 'SIGKILL'), ('freeze', 'SIGSTOP'),
            ('thaw', 'SIGCONT')):
        actions.add_parser(action, help=what).add_argument('host')
    adder = actions.add_parser(
        'add', help='start a new compute in zone %r, where only flavor %s '
        'goes, and wait until it is usable; HOST matches %s' % (
            nova_service.THROWAWAY_ZONE, clients.THROWAWAY_FLAVOR,
            nova_service.THROWAWAY_HOST.pattern))
    adder.add_argument('host')
    adder.add_argument('--options', default='', metavar='OPTION=VALUE,...',
                       help='[DEFAULT] options it starts with (those of '
                            '"set", and initial_cpu/ram/disk_allocation_'
                            'ratio)')
    actions.add_parser(
        'remove', help='stop a compute that "add" started, delete its '
        'service (nova deletes its provider) and its files'
    ).add_argument('host')
    setter = actions.add_parser(
        'set', help='set one of its options (%s) and restart it' % ', '.join(
            nova_service.SETTABLE_OPTIONS))
    setter.add_argument('host')
    setter.add_argument('option')
    setter.add_argument('value')
    actions.add_parser(
        'reset', help='drop the options set with "set" and restart it'
    ).add_argument('host')
    fault = actions.add_parser(
        'fault', help='set, clear or show the faults of its driver',
        usage='%(prog)s HOST ' + faults_cli.COMPUTE_USAGE,
        description='The next calls of a ComputeDriver method on HOST '
                    'raise, sleep, or sleep then raise; see '
                    'doc/source/localcloud.rst.')
    fault.add_argument('host')
    faults_cli.add_compute_arguments(fault)
    service = sub.add_parser(
        'service', help='stop, start, kill (SIGKILL), freeze (SIGSTOP) or '
        'thaw (SIGCONT) one service to inject a failure; start and thaw '
        'return once it answers again',
        description='NAME is one of: %s.' % ', '.join(
            services.controllable()))
    service.add_argument('action', choices=control.ACTIONS)
    service.add_argument('name')
    placement = sub.add_parser(
        'placement', help='make Placement answer chosen requests with an '
        'error').add_subparsers(dest='action', required=True,
                                metavar='ACTION')
    faults_cli.add_placement_arguments(placement.add_parser(
        'fault', help='set, clear or show the faults of Placement',
        usage='%(prog)s ' + faults_cli.PLACEMENT_USAGE,
        description='The next requests with an HTTP method and a path '
                    'matching a regular expression get 409 (a consumer '
                    'generation conflict) or 503 without reaching '
                    'Placement; see doc/source/localcloud.rst.'))
    fix = sub.add_parser(
        'fix', help='revert a Nova fix in the virtualenv (and restore it), '
        'to show that the test replaying its bug fails',
        description='Patches in tools/local_cloud/fix-reverts; see '
                    'doc/source/scenarios.rst.').add_subparsers(
        dest='action', required=True, metavar='ACTION')
    fix.add_parser('list', help='each revert shipped, and whether it is '
                   'applied')
    for action, what in (
            ('revert', 'apply the revert and restart what loads the code'),
            ('restore', 'take the revert back out and restart')):
        fix.add_parser(action, help=what).add_argument('bug')
    conductor = sub.add_parser(
        'conductor', help='pin the compute RPC API version nova-conductor '
        'sends, as a conductor of an older release would, or unpin it',
        description='Sets [upgrade_levels] compute in the conductor\'s own '
                    'overrides and restarts it; returns once the computes '
                    'report through it again.').add_subparsers(
        dest='action', required=True, metavar='ACTION')
    conductor.add_parser('pin', help='send compute RPC VERSION at most '
                         '(5.0 to 6.x)').add_argument('version')
    conductor.add_parser('unpin', help='send the newest version again')
    sub.add_parser('env', help='print export lines for openstack/tempest')
    return p


def _positive(value):
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(
            'must be a whole number of at least 1, not %r' % value)
    return number


COMMANDS = {
    'up': cmd_up, 'status': cmd_status, 'down': cmd_down,
    'destroy': cmd_destroy, 'compute': cmd_compute, 'service': cmd_service,
    'conductor': cmd_conductor,
    'placement': cmd_placement, 'fix': cmd_fix, 'env': cmd_env,
}


def main(argv=None):
    args = parser().parse_args(argv)
    layout = layout_mod.Layout.from_env(args.state_dir)
    try:
        return COMMANDS[args.command](layout, args)
    except supervisor.LocalCloudError as exc:
        print('localcloud: %s' % exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        if not _stdout_closed():
            raise
        # A reader that stopped early (``| head``): the rest is unwanted,
        # and the flush at exit must not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _stdout_closed():
    """Whether standard output is a pipe its reader closed (and not some
    other pipe or socket of the command).
    """
    poll = select.poll()
    poll.register(sys.stdout.fileno(), select.POLLOUT)
    return any(event & select.POLLERR for _, event in poll.poll(0))
