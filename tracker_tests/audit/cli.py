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

"""tracker-audit: report leaks and disagreements between Placement and Nova.

A single cliff Lister command, run without a cliff App around it (there
are no sub-commands): ``-f``/``-c`` and the formatters are cliff's, as in
python-openstackclient and osc-placement.

Exit codes: 0 no finding (or only acknowledged ones, or only warnings
with ``--fail-on error``), 3 findings, 1 error (unreachable service,
missing endpoint, failed authentication), 2 bad usage. 0, 1 and 3 mean
what they mean for ``nova-manage placement audit``; bad usage exits 2 as
with argparse and the openstack client, not 127 as nova-manage, because a
shell reports a command it cannot find with 127 and monitoring must tell
the two apart. Read-only: it only sends GETs.
"""

import argparse
import io
import logging
import os
import sys
import tempfile
import time
import uuid

from cliff import lister
from keystoneauth1 import exceptions as ks_exceptions
import openstack
from openstack import config as sdk_config
from openstack import exceptions as sdk_exceptions
import stevedore

from tracker_tests.audit import acknowledge
from tracker_tests.audit import checks
from tracker_tests.audit import formatters
from tracker_tests.audit import reader
from tracker_tests.audit import report as report_mod
from tracker_tests.audit import sdk_reader
from tracker_tests.audit import settle as settle_mod
from tracker_tests.audit import snapshot

EXIT_CLEAN = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_FINDINGS = 3

PROG = 'tracker-audit'
DISTRIBUTION = 'tracker-tempest-plugin'
FORMATTER_NAMESPACE = 'tracker_audit.formatter'
#: The services the audit talks to; only their options are offered.
SERVICES = ('compute', 'placement', 'identity')
#: Options openstacksdk registers that mean nothing here: the audit picks
#: each service's endpoint and pins the microversion of every request.
MEANINGLESS_OPTIONS = (
    '--os-service-type', '--os-service-name', '--os-endpoint-override',
    '--os-api-version', '--os-compute-api-version',
    '--os-placement-api-version')
#: keystoneauth session options that the audit's own GETs (transport.py)
#: do not apply; refused rather than silently ignored.
UNAPPLIED_SESSION_OPTIONS = ('--collect-timing', '--tls-ciphers',
                             '--tls-min-version')
#: Below this many providers a read is quick enough to need no progress.
PROGRESS_MIN_PROVIDERS = 200
#: Auth option names whose values must never reach the output.
SECRET_AUTH_KEYS = ('password', 'token', 'secret', 'passcode', 'totp')

EPILOG = '''\
Without -c, "-f table" (the default) prints each finding with its
explanation and remedy, and "-f json" prints the documented document
{"findings": [...], "summary": {...}}; with -c, both print the selected
columns the way cliff does, like yaml, csv and value ("-f value -c remedy"
lists the repair commands). Columns: %(columns)s.

Exit codes: 0 no new finding, 3 new findings (acknowledged ones and,
with --fail-on error, warnings do not count), 1 error, 2 bad usage.
Finding kinds: %(kinds)s.'''


class UsageError(Exception):
    """Bad command line; the message names the flag."""


class Failure(Exception):
    """The audit could not read the cloud; the message says why."""

    def __init__(self, message, service=None):
        super().__init__(' '.join(str(message).split()))
        self.service = service


class RedactingFilter(logging.Filter):
    """Replace known secret strings in log records with '***'.

    keystoneauth already hashes tokens and masks passwords in its debug
    log; this is the second line of defence for what it does not know is a
    secret (an application credential secret in a URL, a token echoed in
    an error body).
    """

    def __init__(self):
        super().__init__()
        self.secrets = set()

    def add(self, secret):
        if secret and len(str(secret)) >= 4:
            self.secrets.add(str(secret))

    def redact(self, text):
        for secret in self.secrets:
            text = text.replace(secret, '***')
        return text

    def filter(self, record):
        if self.secrets:
            record.msg = self.redact(record.getMessage())
            record.args = ()
        return True


class MeaninglessOption(argparse.Action):
    """Refuses an openstacksdk option that would change nothing here."""

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error('%s: tracker-audit chooses each service\'s endpoint '
                     'and microversion itself; use --os-compute-endpoint-'
                     'override or --os-placement-endpoint-override to point '
                     'at another endpoint' % option_string)


class UnappliedOption(argparse.Action):
    """Refuses a keystoneauth session option the audit's GETs ignore."""

    def __init__(self, *args, **kwargs):
        kwargs['nargs'] = 0 if kwargs['option_strings'] == [
            '--collect-timing'] else None
        super().__init__(*args, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error('%s: tracker-audit sends its requests itself and does '
                     'not apply this keystoneauth option' % option_string)


class Console:
    """What a cliff command needs of its application: where to write."""

    def __init__(self, stdout, stderr):
        self.stdout = stdout
        self.stderr = stderr


def version():
    import pbr.version  # only --version needs it; it is slow to import
    return pbr.version.VersionInfo(DISTRIBUTION).version_string()


class Audit(lister.Lister):
    """Find allocations that leaked or disagree between Placement and Nova.

    Prints the command that repairs each. Never writes to the cloud.
    """

    # MeaninglessOption replaces options openstacksdk registered.
    conflict_handler = 'resolve'
    app_dist_name = DISTRIBUTION
    _epilog = EPILOG % {'columns': ', '.join(report_mod.ROW_COLUMNS),
                        'kinds': ', '.join(checks.KINDS)}

    def __init__(self, app, cloud_config, argv):
        self.cloud_config = cloud_config
        self.argv = argv
        self.redactor = RedactingFilter()
        self.report = None
        super().__init__(app, None)

    def get_epilog(self):
        # cliff's would look up which distribution provides the command,
        # scanning every installed package: a second at each start.
        return self._epilog

    @property
    def formatter_namespace(self):
        return FORMATTER_NAMESPACE

    @property
    def formatter_default(self):
        return 'table'

    def _load_formatter_plugins(self):
        return stevedore.ExtensionManager(
            self.formatter_namespace, invoke_on_load=True,
            on_load_failure_callback=_formatter_failed)

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--version', action='version',
            version='%s %s' % (PROG, version()))
        parser.add_argument(
            '--output', metavar='FILE',
            help='Write the report to FILE (replaced at once, never left '
                 'half written: fit for a textfile collector) instead of '
                 'stdout.')
        parser.add_argument(
            '--host', action='append', dest='hosts', metavar='HOST',
            help='Audit only this compute host (repeatable).')
        parser.add_argument(
            '--server', action='append', dest='servers', metavar='UUID',
            help='Audit only this server (repeatable): its allocations '
                 'wherever they are, its migrations; also a consumer that '
                 'Nova no longer knows.')
        parser.add_argument(
            '--provider', action='append', dest='providers', metavar='UUID',
            help='Audit only this resource provider (repeatable), with its '
                 'tree when it is a root: the consumers found there and '
                 'the servers among them.')
        parser.add_argument(
            '--kind', action='append', dest='kinds', metavar='KIND',
            help='Report only this finding kind (repeatable).')
        parser.add_argument(
            '--fail-on', choices=sorted(report_mod.FAIL_ON),
            default='warning',
            help='Lowest severity of a new finding that exits 3 (default: '
                 'warning, every finding); with "error", warnings such as '
                 'usage_mismatch are reported and exit 0.')
        parser.add_argument(
            '--ignore', action='append', dest='ignored', metavar='UUID',
            help='Acknowledge the findings of this consumer or provider '
                 '(repeatable): still listed, marked acknowledged, never '
                 'exit 3.')
        parser.add_argument(
            '--baseline', metavar='FILE',
            help='A previous "-f json" report: its findings are '
                 'acknowledged (same kind, host, provider, consumer and '
                 'class), new ones are not.')
        parser.add_argument(
            '--settle', type=float, default=3.0, metavar='SECONDS',
            help='Re-read after this many seconds and report only findings '
                 'seen both times; 0 reports the first read (default: 3).')
        parser.add_argument(
            '--settle-interval', type=float, metavar='SECONDS',
            help='Re-read every SECONDS during --settle instead of once at '
                 'its end, stop as soon as the findings are gone, and report '
                 'only findings seen by every read.')
        parser.add_argument(
            '--workers', type=int, default=8, metavar='N',
            help='Concurrent GET requests (default: 8).')
        parser.add_argument(
            '--debug', action='store_true',
            help='Log every request on stderr (tokens and passwords are '
                 'redacted).')
        self.cloud_config.register_argparse_arguments(
            parser, self.argv, service_keys=list(SERVICES))
        # Replaces keystoneauth's --timeout, which has no default.
        parser.add_argument(
            '--timeout', type=float, default=sdk_reader.DEFAULT_TIMEOUT,
            metavar='SECONDS',
            help='Seconds a request to Keystone, Nova or Placement may take '
                 'before it counts as failed (default: %g).'
                 % sdk_reader.DEFAULT_TIMEOUT)
        parser.add_argument(
            '--retries', type=int, default=sdk_reader.DEFAULT_RETRIES,
            metavar='N',
            help='Send a GET again up to N times when the connection fails, '
                 'times out or the service answers 5xx, waiting %g s, then '
                 'twice as long each time (default: %d). A read that still '
                 'fails ends the run with exit 1.'
                 % (sdk_reader.RETRY_BACKOFF, sdk_reader.DEFAULT_RETRIES))
        for option in MEANINGLESS_OPTIONS:
            parser.add_argument(option, action=MeaninglessOption,
                                help=argparse.SUPPRESS)
        for option in UNAPPLIED_SESSION_OPTIONS:
            parser.add_argument(option, action=UnappliedOption,
                                help=argparse.SUPPRESS)
        return parser

    # -- cliff's Lister protocol ---------------------------------------------

    def take_action(self, parsed_args):
        scope, kinds, ignored, baseline = self.validated(parsed_args)
        sdk = self.connect(parsed_args)
        progress = (_progress_printer(self.app.stderr)
                    if self.app.stderr.isatty() else None)
        result = settle_mod.audit(sdk, scope=scope, kinds=kinds,
                                  settle=parsed_args.settle,
                                  interval=parsed_args.settle_interval,
                                  max_workers=parsed_args.workers,
                                  progress=progress)
        self.check_servers(scope, result.snapshot)
        figures = None
        if (parsed_args.formatter == 'html' and
                not result.snapshot.inventories_read):
            # The settle re-read skipped inventories; the charts need the
            # capacity and reserved amounts.
            figures = snapshot.collect(sdk, scope, parsed_args.workers,
                                       inventories=True)
        self.report = report_mod.Report(
            result=result, kinds=kinds, requests=sdk.requests,
            requests_by_service=sdk.requests_by_service,
            acknowledged=acknowledge.acknowledged(
                result.findings, ignored, baseline),
            figures=figures)
        return report_mod.rows(self.report)

    def produce_output(self, parsed_args, column_names, data):
        stdout = self.app.stdout
        if isinstance(self.formatter, formatters.ReportFormatter) and (
                not parsed_args.columns):
            self.formatter.emit_report(self.report, stdout, parsed_args)
            return 0
        return super().produce_output(parsed_args, column_names, data)

    # -- steps ---------------------------------------------------------------

    def validated(self, args):
        """(scope, kinds, ignored, baseline); UsageError names the flag."""
        try:
            kinds = checks.validate_kinds(args.kinds)
        except checks.UnknownKind as exc:
            raise UsageError('--kind: %s' % exc)
        if args.settle < 0:
            raise UsageError('--settle: must be 0 or more, not %s'
                             % args.settle)
        if args.settle_interval is not None and args.settle_interval <= 0:
            raise UsageError('--settle-interval: must be more than 0, not %s'
                             % args.settle_interval)
        if args.workers < 1:
            raise UsageError('--workers: must be 1 or more, not %s'
                             % args.workers)
        if not args.timeout > 0:
            raise UsageError('--timeout: must be more than 0, not %s'
                             % args.timeout)
        if args.retries < 0:
            raise UsageError('--retries: must be 0 or more, not %s'
                             % args.retries)
        self.validate_columns(args)
        hosts = None
        if args.hosts:
            empty = [h for h in args.hosts if not h.strip()]
            if empty:
                raise UsageError('--host: empty host name')
            hosts = frozenset(h.strip() for h in args.hosts)
        server_ids = _uuids('--server', args.servers)
        provider_ids = _uuids('--provider', args.providers)
        if args.output and os.path.isdir(args.output):
            raise UsageError('--output %s: is a directory' % args.output)
        try:
            ignored = acknowledge.parse_ignored(args.ignored)
            baseline = (acknowledge.load_baseline(args.baseline)
                        if args.baseline else frozenset())
        except acknowledge.BadAcknowledgement as exc:
            raise UsageError(str(exc))
        return snapshot.Scope(hosts=hosts, server_ids=server_ids,
                              provider_ids=provider_ids), kinds, ignored, (
                                  baseline)

    def check_servers(self, scope, read):
        """--server names that neither Nova nor Placement knows."""
        known = (set(read.servers) | set(read.deleted_servers) |
                 read.consumers())
        unknown = sorted(set(scope.server_ids or ()) - known)
        if unknown:
            raise UsageError(
                '--server: no server, recently deleted server or consumer '
                '%s' % ', '.join(unknown))

    def validate_columns(self, args):
        """-c before anything is read: a typo must not cost an audit."""
        if not args.columns:
            return
        formatter = self._formatter_plugins[args.formatter].obj
        if not getattr(formatter, 'selects_columns', True):
            raise UsageError('-c/--column: -f %s renders the whole report '
                             'and has no columns' % args.formatter)
        try:
            self._generate_columns_and_selector(args, report_mod.ROW_COLUMNS)
        except ValueError as exc:
            raise UsageError('-c/--column: %s' % exc)

    def connect(self, args):
        """An SdkReader over an authenticated Connection."""
        try:
            region = self.cloud_config.get_one(argparse=args)
        except sdk_exceptions.ConfigException as exc:
            if 'was not found' in str(exc):
                raise UsageError('--os-cloud (or OS_CLOUD): %s' % exc)
            raise
        for key, value in (region.auth or {}).items():
            if any(word in key for word in SECRET_AUTH_KEYS):
                self.redactor.add(value)
        connection = openstack.connection.Connection(config=region)
        sdk = sdk_reader.SdkReader(connection, timeout=args.timeout,
                                   retries=args.retries)
        # Authenticate now so an unreachable or refusing Keystone is
        # reported as such, and so the token is known to the redactor.
        self.redactor.add(sdk.authenticate())
        return sdk

    def exit_code(self, args):
        if self.report.failing(args.fail_on):
            return EXIT_FINDINGS
        return EXIT_CLEAN


def _uuids(flag, values):
    """The UUIDs given with ``flag``, lower case, or None."""
    if not values:
        return None
    uuids = set()
    for value in values:
        try:
            uuids.add(str(uuid.UUID(value.strip())))
        except ValueError:
            raise UsageError('%s: %r is not a UUID' % (flag, value))
    return frozenset(uuids)


def _formatter_failed(manager, entrypoint, exception):
    raise exception


def _configure_logging(debug, redactor):
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(redactor)
    handler.setFormatter(logging.Formatter(
        '%(asctime)s %(levelname)s %(name)s %(message)s'))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    if debug:
        openstack.enable_logging(debug=True, http_debug=True,
                                 stream=None)
        # enable_logging adds its own handlers; keep only the redacting one.
        for name in ('openstack', 'keystoneauth'):
            logger = logging.getLogger(name)
            logger.handlers[:] = []
            logger.propagate = True
    return handler


def _progress_printer(stream):
    """A collect() progress callback drawing one line on a terminal."""
    def progress(done, total):
        if total < PROGRESS_MIN_PROVIDERS:
            return
        stream.write('\r%s: read %d/%d providers' % (PROG, done, total))
        if done == total:
            stream.write('\n')
        stream.flush()
    return progress


def _error(message):
    print('%s: error: %s' % (PROG, ' '.join(str(message).split())),
          file=sys.stderr)
    return EXIT_ERROR


def _usage(parser, message):
    if parser is not None:
        parser.print_usage(sys.stderr)
    print('%s: error: %s' % (PROG, message), file=sys.stderr)
    return EXIT_USAGE


def _write(path, text):
    """Replace ``path`` with ``text`` in one rename."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix='.%s.' %
                                     os.path.basename(path))
    try:
        with os.fdopen(fd, 'w') as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _audit(command, args):
    """Run the command; raise UsageError or Failure."""
    try:
        command.run(args)
    except snapshot.UnknownHosts as exc:
        raise UsageError('--host: %s' % exc)
    except snapshot.UnknownProviders as exc:
        raise UsageError('--provider: %s' % exc)
    except reader.ReaderError as exc:
        raise Failure(exc, getattr(exc, 'service_type', None))
    except ks_exceptions.Unauthorized as exc:
        raise Failure('identity: authentication failed: %s' % exc,
                      'identity')
    except sdk_reader.UNREACHABLE_ERRORS as exc:
        raise Failure(reader.ServiceUnreachable('identity', exc), 'identity')
    except (ks_exceptions.ClientException,
            sdk_exceptions.SDKException) as exc:
        raise Failure(command.redactor.redact(str(exc)))


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    started = time.time()
    stdout = io.StringIO()
    command = None
    parser = None
    try:
        command = Audit(Console(stdout, sys.stderr),
                        sdk_config.OpenStackConfig(), argv)
        parser = command.get_parser(PROG)
    except sdk_exceptions.ConfigException as exc:
        if 'was not found' in str(exc):
            return _usage(parser, '--os-cloud (or OS_CLOUD): %s' % exc)
        return _error('cloud configuration: %s' % exc)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE

    handler = _configure_logging(args.debug, command.redactor)
    try:
        _audit(command, args)
        status = command.exit_code(args)
    except UsageError as exc:
        return _usage(parser, exc)
    except Failure as exc:
        status = _error(exc)
        if args.formatter != 'prometheus':
            return status
        from tracker_tests.audit import prometheus
        stdout.write(prometheus.render_failure(
            exc.service, time.time() - started, time.time()))
    finally:
        logging.getLogger().removeHandler(handler)

    if args.output:
        try:
            _write(args.output, stdout.getvalue())
        except OSError as exc:
            return _error('--output %s: %s' % (args.output,
                                               exc.strerror or exc))
    else:
        sys.stdout.write(stdout.getvalue())
    return status


if __name__ == '__main__':
    sys.exit(main())
