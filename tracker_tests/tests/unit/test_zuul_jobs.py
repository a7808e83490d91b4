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

"""The Zuul configuration in zuul.d/: jobs, their variables, the project."""

import configparser
import glob
import os
import re

import testtools
import yaml

from tracker_tests import config
from tracker_tests.tests.unit import test_devstack_plugin

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                    os.pardir, os.pardir, os.pardir))
PLUGIN = 'tracker-tempest-plugin'
FAKE_JOB = 'tracker-tempest-plugin-fake-computes'
MULTINODE_JOB = 'tracker-tempest-plugin-multinode-libvirt'
# Jobs the project stanza runs that other repositories define.
UPSTREAM_JOBS = {'openstack-tox-pep8', 'openstack-tox-py311'}


def load_zuul_config():
    jobs = {}
    projects = []
    files = sorted(glob.glob(os.path.join(REPO, 'zuul.d', '*.yaml')))
    for path in files:
        with open(path) as f:
            for item in yaml.safe_load(f) or []:
                if 'job' in item:
                    name = item['job']['name']
                    if name in jobs:
                        raise AssertionError('job %s defined twice' % name)
                    jobs[name] = item['job']
                elif 'project' in item:
                    projects.append(item['project'])
    return files, jobs, projects


def pipeline_jobs(project, pipeline):
    names = []
    for entry in project.get(pipeline, {}).get('jobs', []):
        # "- name" or "- name: {voting: false, ...}"
        names.append(entry if isinstance(entry, str) else next(iter(entry)))
    return names


class TestZuulJobs(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.files, jobs, self.projects = load_zuul_config()
        # Stable-branch jobs are their parents at another checkout.
        self.stable_jobs = {name: job for name, job in jobs.items()
                            if 'override-checkout' in job}
        self.jobs = {name: job for name, job in jobs.items()
                     if name not in self.stable_jobs}

    def test_files(self):
        self.assertEqual(
            [os.path.join(REPO, 'zuul.d', name)
             for name in ('jobs.yaml', 'project.yaml', 'stable-jobs.yaml')],
            self.files)

    def test_parents(self):
        self.assertEqual('devstack-tempest', self.jobs[FAKE_JOB]['parent'])
        self.assertEqual('tempest-multinode-full-py3',
                         self.jobs[MULTINODE_JOB]['parent'])

    def test_fake_job_runs_ten_computes_on_one_node(self):
        job_vars = self.jobs[FAKE_JOB]['vars']
        localrc = job_vars['devstack_localrc']
        self.assertEqual('fake', localrc['VIRT_DRIVER'])
        self.assertEqual(10, localrc['NUMBER_FAKE_NOVA_COMPUTE'])
        self.assertIs(True, localrc['TRACKER_FAULT_COMPUTES'])
        self.assertIs(True, localrc['TRACKER_PLACEMENT_FAULTS'])
        # devstack-tempest writes min_compute_nodes from the node count
        # after the devstack plugin ran: the job must say 3 (the regular
        # computes) itself.
        tempest_conf = job_vars['devstack_local_conf']['test-config'][
            '$TEMPEST_CONFIG']
        self.assertEqual(3, tempest_conf['compute']['min_compute_nodes'])
        self.assertNotIn('nodeset', self.jobs[FAKE_JOB])

    def test_multinode_job_uses_libvirt_on_every_node(self):
        job = self.jobs[MULTINODE_JOB]
        self.assertEqual('libvirt',
                         job['vars']['devstack_localrc']['VIRT_DRIVER'])
        self.assertEqual(
            'libvirt',
            job['group-vars']['subnode']['devstack_localrc']['VIRT_DRIVER'])
        self.assertIs(True, job['vars']['devstack_localrc'][
            'LIVE_MIGRATION_AVAILABLE'])
        # libvirt computes run no fault driver.
        self.assertNotIn('TRACKER_FAULT_COMPUTES',
                         job['vars']['devstack_localrc'])

    def test_every_job_runs_this_plugin(self):
        with open(os.path.join(REPO, 'setup.cfg')) as f:
            setup_cfg = configparser.ConfigParser()
            setup_cfg.read_file(f)
        url = setup_cfg['metadata']['home_page']
        self.assertEqual(PLUGIN, setup_cfg['metadata']['name'])
        regex_matches = 'tracker_tests.tests.scenario.test_x.TestX.test_y'
        for name, job in self.jobs.items():
            job_vars = job['vars']
            self.assertEqual([PLUGIN], job_vars['tempest_plugins'], name)
            self.assertEqual({PLUGIN: url}, job_vars['devstack_plugins'],
                             name)
            self.assertEqual('all', job_vars['tox_envlist'], name)
            regex = re.compile(job_vars['tempest_test_regex'])
            self.assertTrue(regex.search(regex_matches), name)
            self.assertIsNone(
                regex.search('tempest.api.compute.test_x.TestX.test_y'),
                name)
            self.assertIsNone(regex.search('tracker_testsX.test_y'), name)
            for project in ('openstack/tempest', 'openstack/nova',
                            'openstack/placement', 'openstack/' + PLUGIN):
                self.assertIn(project, job['required-projects'], name)
            # devstack's zuul jobs run tempest as the "tempest" user.
            self.assertEqual(
                'tempest', job_vars['devstack_localrc'][
                    'TRACKER_TEMPEST_USER'], name)

    def test_service_down_time_is_short_enough_for_evacuate(self):
        for name, job in self.jobs.items():
            localrc = job['vars']['devstack_localrc']
            nova_default = job['vars']['devstack_local_conf'][
                'post-config']['$NOVA_CONF']['DEFAULT']
            report_interval = nova_default['report_interval']
            down_time = nova_default['service_down_time']
            self.assertEqual(report_interval,
                             localrc['NOVA_SERVICE_REPORT_INTERVAL'], name)
            # devstack's default 120 s reports and 720 s down time would
            # keep every evacuate test waiting 12 minutes.
            self.assertLessEqual(report_interval, 10, name)
            self.assertLessEqual(down_time, 60, name)
            # nova replaces a service_down_time not above report_interval;
            # leave room for a late report or two.
            self.assertGreaterEqual(down_time, 3 * report_interval, name)
            for group, group_vars in job.get('group-vars', {}).items():
                group_localrc = group_vars.get('devstack_localrc')
                if group_localrc is not None:
                    self.assertEqual(
                        report_interval,
                        group_localrc['NOVA_SERVICE_REPORT_INTERVAL'],
                        '%s group %s' % (name, group))

    def test_tracker_variables_exist_in_devstack_settings(self):
        with open(os.path.join(REPO, 'devstack', 'settings')) as f:
            settings = set(re.findall(r'^(TRACKER_[A-Z_]+)=', f.read(),
                                      re.MULTILINE))
        for name, job in self.jobs.items():
            localrcs = [job['vars']['devstack_localrc']] + [
                g.get('devstack_localrc', {})
                for g in job.get('group-vars', {}).values()]
            for localrc in localrcs:
                for key in localrc:
                    if key.startswith('TRACKER_'):
                        self.assertIn(key, settings, name)

    def test_project_runs_every_job(self):
        self.assertEqual(1, len(self.projects))
        project = self.projects[0]
        for pipeline, stable in (('check', set(self.stable_jobs)),
                                 ('gate', set())):
            listed = pipeline_jobs(project, pipeline)
            self.assertEqual(len(listed), len(set(listed)), pipeline)
            self.assertEqual(set(self.jobs) | UPSTREAM_JOBS | stable,
                             set(listed), pipeline)

    def test_project_uses_the_tempest_plugin_templates(self):
        self.assertEqual(
            ['check-requirements', 'tempest-plugin-jobs',
             'publish-openstack-docs-pti', 'release-notes-jobs-python3'],
            self.projects[0]['templates'])

    def test_stable_jobs_rerun_an_integration_job_on_a_stable_branch(self):
        self.assertTrue(self.stable_jobs)
        for name, job in self.stable_jobs.items():
            self.assertIn(job['parent'], self.jobs, name)
            branch = job['override-checkout']
            self.assertRegex(branch, r'^stable/\d{4}\.[12]$', name)
            self.assertTrue(name.endswith(
                branch.split('/')[1].replace('.', '-')), name)
            self.assertTrue(job['nodeset'].startswith(
                'openstack-single-node-'), name)


def localrc_value(value):
    """A devstack_localrc value as local.conf gets it."""
    if isinstance(value, bool):
        return 'True' if value else 'False'
    return str(value)


class TestFakeJobRunsTheFailureFamily(
        test_devstack_plugin.DevstackPluginTestBase):
    """devstack/plugin.sh with the fake job's devstack_localrc."""

    def setUp(self):
        super().setUp()
        _, jobs, _ = load_zuul_config()
        self.job_vars = jobs[FAKE_JOB]['vars']
        settings = {k: localrc_value(v) for k, v in
                    self.job_vars['devstack_localrc'].items()}
        settings['NOVA_CONF'] = self.write_nova_conf(
            self.job_vars['devstack_local_conf']['post-config'][
                '$NOVA_CONF']['DEFAULT']['report_interval'],
            self.job_vars['devstack_local_conf']['post-config'][
                '$NOVA_CONF']['DEFAULT']['service_down_time'])
        self.plugin_run = self.run_plugin(settings)
        self.assertSucceeded(self.plugin_run)

    def test_every_fault_command_host_and_flavor_is_set(self):
        # Every [tracker] option naming a command, a fault host or a
        # fault flavor: the tests that need one skip without it. flavor_ref
        # and resize_flavor_ref default to [compute]'s.
        # compute_config_command and its reset rewrite a compute's own
        # configuration and restart it: devstack has no per-compute file
        # of ours for that, and the one test needing them skips. Nor does
        # it add computes for the service deletion tests, which skip. Nor
        # pin the compute RPC of its two conductors (super and cell), which
        # run from nova.conf under systemd: the pinned reschedule skips.
        needed = sorted(
            o.name for o in config.TrackerGroup
            if o.name.endswith(('_command', '_host', '_hosts',
                                '_flavor_ref')) and
            o.name not in ('flavor_ref', 'resize_flavor_ref',
                           'compute_config_command',
                           'compute_config_reset_command',
                           'compute_add_command', 'compute_remove_command',
                           'throwaway_flavor_ref', 'conductor_pin_command',
                           'conductor_unpin_command'))
        self.assertIn('compute_kill_command', needed)
        self.assertIn('placement_fault_command', needed)
        options = self.plugin_run.options
        self.assertEqual([], [name for name in needed
                              if not options.get(('tracker', name))])
        for feature in ('service_control', 'evacuate', 'live_migration',
                        'cold_migration', 'resize', 'shelve'):
            self.assertEqual('True', self.plugin_run.options[
                ('tracker-feature-enabled', feature)], feature)

    def test_min_compute_nodes_agrees_with_the_plugin(self):
        tempest_conf = self.job_vars['devstack_local_conf']['test-config'][
            '$TEMPEST_CONFIG']
        self.assertEqual(
            str(tempest_conf['compute']['min_compute_nodes']),
            self.plugin_run.options[('compute', 'min_compute_nodes')])

    def test_service_state_timeout_follows_the_job(self):
        # service_down_time 40 + 2 reports of 10 s: the option's 120.
        self.assertEqual('120', self.plugin_run.options[
            ('tracker', 'service_state_timeout')])
