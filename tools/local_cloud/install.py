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
"""Installs what the cloud needs: Debian packages and a pinned virtualenv."""

import hashlib
import os
import shutil
import sys

from local_cloud import layout as layout_mod
from local_cloud import supervisor

#: Debian package -> a file it provides, to tell whether it is installed.
APT_PACKAGES = {
    'mariadb-server': '/usr/sbin/mariadbd',
    'mariadb-client': '/usr/bin/mariadb',
    'rabbitmq-server': '/usr/lib/rabbitmq/bin/rabbitmq-server',
}

#: Debian package -> the system services its installation starts. The
#: local cloud runs its own MariaDB and RabbitMQ (and epmd) on ports of its
#: own; the system ones would only hold memory and 3306, 5672 and 4369.
SYSTEM_SERVICES = {
    'mariadb-server': ('mariadb',),
    'rabbitmq-server': ('rabbitmq-server', 'epmd'),
}

#: One OpenStack release, resolved once and frozen into constraints.txt.
PIP_PACKAGES = (
    'nova==34.0.0',
    'openstack-placement==16.0.0',
    'keystone==30.0.0',
    'glance==33.0.0',
    'neutron==29.0.0',
    'tempest==47.0.0',
    'pymysql',
    # A prebuilt wheel of uWSGI (its console script is also named uwsgi):
    # the uwsgi sdist needs a C compiler and Python's headers.
    'pyuwsgi',
    'python-openstackclient',
    'osc-placement',
)

CONSTRAINTS = (layout_mod.REPO_ROOT / 'tools' / 'local_cloud' /
               'constraints.txt')


def missing_apt_packages():
    return sorted(name for name, path in APT_PACKAGES.items()
                  if not os.path.exists(path))


def ensure_apt_packages(log):
    missing = missing_apt_packages()
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which('apt-get'):
        raise supervisor.LocalCloudError(
            'missing Debian packages %s; install them with: '
            'sudo apt-get install %s' % (', '.join(missing),
                                         ' '.join(missing)))
    print('installing Debian packages: %s' % ' '.join(missing), flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    for argv in (['apt-get', 'update'],
                 ['apt-get', 'install', '-y', '--no-install-recommends'] +
                 missing):
        supervisor.run_logged(' '.join(argv[:2]), argv, log, env)
    stop_system_services(missing, log)


def _systemd_runs():
    return os.path.isdir('/run/systemd/system')


def system_service_commands(packages, systemd):
    """The commands that stop and disable what installing ``packages`` started.

    Only for packages this run installed: a MariaDB or RabbitMQ that was
    there before is somebody's, and stays as it is.
    """
    services = [service for package in sorted(packages)
                for service in SYSTEM_SERVICES.get(package, ())]
    commands = []
    for service in services:
        if systemd:
            units = [service] + (['epmd.socket'] if service == 'epmd' else [])
            commands.append(['systemctl', 'disable', '--now'] + units)
        elif service == 'epmd':
            # Without systemd, rabbitmq's init script starts epmd as a
            # daemon of its own, which has no init script to stop it.
            commands.append(['epmd', '-kill'])
        else:
            commands.append(['service', service, 'stop'])
            commands.append(['update-rc.d', service, 'disable'])
    return commands


def stop_system_services(packages, log, systemd=None, run=None):
    """Leave the system MariaDB/RabbitMQ that apt started stopped, disabled.

    Failures are logged, not raised: a service apt did not start (no init
    system in a container) has nothing to stop.
    """
    systemd = _systemd_runs() if systemd is None else systemd
    run = run or supervisor.run_logged
    commands = system_service_commands(packages, systemd)
    if commands:
        print('stopping and disabling the system services apt started '
              '(the local cloud runs its own): %s' % ', '.join(
                  ' '.join(argv) for argv in commands), flush=True)
    for argv in commands:
        try:
            run(' '.join(argv[:2]), argv, log)
        except supervisor.LocalCloudError as exc:
            with open(log, 'a') as out:
                out.write('ignored: %s\n' % exc)


def _venv_stamp():
    digest = hashlib.sha256(CONSTRAINTS.read_bytes())
    digest.update('\n'.join(PIP_PACKAGES).encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def ensure_venv(layout, log):
    """Create or update the cloud's virtualenv; no-op when it is current."""
    stamp_file = layout.venv / '.localcloud-stamp'
    stamp = _venv_stamp()
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return
    print('installing the cloud\'s virtualenv in %s (a few minutes)'
          % layout.venv, flush=True)
    if not (layout.venv / 'bin' / 'python').exists():
        supervisor.run_logged(
            'python3 -m venv', [sys.executable, '-m', 'venv', layout.venv],
            log)
    # uwsgi (built from source) was installed before pyuwsgi replaced it;
    # both install bin/uwsgi.
    supervisor.run_logged(
        'pip uninstall', [layout.venv_bin('pip'), 'uninstall', '--yes',
                          '--quiet', 'uwsgi'], log)
    supervisor.run_logged(
        'pip install', [layout.venv_bin('pip'), 'install', '--quiet',
                        '-c', CONSTRAINTS] + list(PIP_PACKAGES), log)
    stamp_file.write_text(stamp)
