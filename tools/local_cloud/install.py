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

#: One OpenStack release, resolved once and frozen into constraints.txt.
PIP_PACKAGES = (
    'nova==34.0.0',
    'openstack-placement==16.0.0',
    'keystone==30.0.0',
    'glance==33.0.0',
    'neutron==29.0.0',
    'tempest==47.0.0',
    'pymysql',
    'uwsgi',
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
    supervisor.run_logged(
        'pip install', [layout.venv_bin('pip'), 'install', '--quiet',
                        '-c', CONSTRAINTS] + list(PIP_PACKAGES), log)
    stamp_file.write_text(stamp)
