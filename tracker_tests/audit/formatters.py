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

"""tracker-audit's output formats, as cliff formatter plugins.

They are registered in setup.cfg under the ``tracker_audit.formatter``
namespace, next to cliff's own csv, value and yaml list formatters, so
that ``-f`` lists them all. The formats below render the whole report
(summary, explanations, charts) when no ``-c`` is given; ``table`` and
``json`` fall back to cliff's rendering of the selected columns when one
is.
"""

import abc

from cliff.formatters import base
from cliff.formatters import json_format
from cliff.formatters import table

from tracker_tests.audit import report as report_mod


class ReportFormatter(base.Formatter, metaclass=abc.ABCMeta):
    """A format of the whole report rather than of rows."""

    #: Whether ``-c`` may select columns (rendered by cliff's list
    #: formatter this class also is).
    selects_columns = True

    def add_argument_group(self, parser):
        """No options of its own unless a subclass adds some."""

    @abc.abstractmethod
    def emit_report(self, report, stdout, parsed_args):
        """Write ``report`` (a report.Report) to ``stdout``."""


class DetailedTableFormatter(table.TableFormatter, ReportFormatter):
    """Each finding's row, explanation and remedy; a summary line."""

    def emit_report(self, report, stdout, parsed_args):
        stdout.write(report_mod.to_table(report))


class DocumentJSONFormatter(json_format.JSONFormatter, ReportFormatter):
    """The {"findings": [...], "summary": {...}} document.

    Its schema is in doc/source/audit.rst.
    """

    def emit_report(self, report, stdout, parsed_args):
        stdout.write(report_mod.to_json(
            report, indent=None if parsed_args.noindent else 2))


class HtmlFormatter(ReportFormatter):
    """One self-contained page with a chart per host (doc/source/audit.rst)."""

    selects_columns = False

    def emit_report(self, report, stdout, parsed_args):
        # plotly takes a second to import: only when a page is asked for.
        from tracker_tests.audit import html_report
        stdout.write(html_report.render(report))


class PrometheusFormatter(ReportFormatter):
    """Text exposition for node_exporter's textfile collector."""

    selects_columns = False

    def emit_report(self, report, stdout, parsed_args):
        from tracker_tests.audit import prometheus
        stdout.write(prometheus.render(report))
