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

"""``-f html``: one self-contained page, a section and a chart per host.

For every compute node and resource class the chart sets Placement's
usage, the hypervisor's figure without the reserved amount, the reserved
amount and the capacity side by side. Hosts with findings come first,
marked, each finding with its explanation and remedy. plotly.js is
inlined (plotly's offline bundle): the page opens with no network.

The page records its own health for the browser test and for anyone
looking: ``data-script-errors`` on <html> counts script errors, and
``data-charts-rendered`` on <body> the charts plotly.js drew.
"""

import collections
import datetime
import html

import plotly.graph_objects as go
import plotly.io
import plotly.offline
from plotly import subplots

from tracker_tests.audit import checks
from tracker_tests.audit import report as report_mod

#: Bar -> colour; the same in every chart.
SERIES = (
    ('Placement usage', '#1f77b4'),
    ('Hypervisor used - reserved', '#ff7f0e'),
    ('Reserved', '#7f7f7f'),
    ('Capacity', '#2ca02c'),
)

STYLE = '''
body { font-family: sans-serif; margin: 1.5em; color: #222; }
h1 { margin-bottom: 0.2em; }
.verdict { font-size: 1.2em; padding: 0.5em 0.8em; border-radius: 4px; }
.verdict.clean { background: #e6f4ea; }
.verdict.findings { background: #fce8e6; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left;
         vertical-align: top; }
th { background: #f3f3f3; }
section.host { border: 1px solid #ddd; border-radius: 4px; margin: 1em 0;
               padding: 0 1em 1em 1em; }
section.host.has-findings { border: 2px solid #d93025; }
.badge { font-size: 0.8em; padding: 0.1em 0.5em; border-radius: 1em;
         background: #d93025; color: white; vertical-align: middle; }
.badge.acknowledged { background: #7f7f7f; }
tr.explanation td { border-top: none; }
tr.finding.acknowledged td { color: #666; }
code { white-space: pre-wrap; word-break: break-all; }
.chart { width: 100%; height: 320px; }
'''

#: Runs before anything else: counts script errors where a test (or a
#: person with the inspector) can read them.
ERROR_TRAP = '''
window.addEventListener('error', function () {
  var root = document.documentElement;
  root.dataset.scriptErrors = String(Number(root.dataset.scriptErrors || 0)
                                     + 1);
});
'''

#: Runs last: counts the charts that plotly.js drew (an svg per chart).
RENDER_CHECK = '''
window.addEventListener('load', function () {
  var drawn = 0;
  document.querySelectorAll('.chart').forEach(function (chart) {
    if (chart.querySelector('svg.main-svg')) { drawn += 1; }
  });
  document.body.dataset.chartsRendered = String(drawn);
});
'''


def _e(value):
    return html.escape('' if value is None else str(value))


def node_figures(snapshot, hypervisor):
    """[(class label, {series name: amount or None})] for one node."""
    root = hypervisor.id
    inventories = snapshot.inventories.get(root, {})
    usage = snapshot.usages.get(root, {})
    bars = []
    grouped = set()
    for field, label, classes in checks.HYPERVISOR_USAGE_FIELDS:
        inventoried = [rc for rc in classes if rc in inventories]
        grouped.update(classes)
        used = getattr(hypervisor, field)
        reserved = sum(inventories[rc].reserved for rc in inventoried)
        bars.append((label, {
            'Placement usage': sum(usage.get(rc, 0) for rc in classes),
            # A record before its first update holds the driver's raw
            # figures, not what Nova counts.
            'Hypervisor used - reserved': (
                None if used is None or hypervisor.first_update_pending
                else used - reserved),
            'Reserved': reserved if inventoried else None,
            'Capacity': (sum(inventories[rc].capacity for rc in inventoried)
                         if inventoried else None),
        }))
    for resource_class in sorted(set(inventories) - grouped):
        inventory = inventories[resource_class]
        bars.append((resource_class, {
            'Placement usage': usage.get(resource_class, 0),
            'Hypervisor used - reserved': None,
            'Reserved': inventory.reserved,
            'Capacity': inventory.capacity,
        }))
    return bars


def node_chart(snapshot, hypervisor, div_id):
    """The chart of one compute node as an HTML fragment."""
    bars = node_figures(snapshot, hypervisor)
    figure = subplots.make_subplots(
        rows=1, cols=len(bars), subplot_titles=[label for label, _ in bars])
    for column, (label, amounts) in enumerate(bars, start=1):
        for name, colour in SERIES:
            amount = amounts[name]
            figure.add_trace(go.Bar(
                name=name, x=[name], y=[amount if amount is not None else 0],
                marker_color=colour, legendgroup=name,
                showlegend=column == 1,
                text=['n/a' if amount is None else amount],
                textposition='outside',
                hovertemplate='%s %s: %%{y}<extra></extra>' % (label, name)),
                row=1, col=column)
        figure.update_xaxes(showticklabels=False, row=1, col=column)
        # Capacity (total x allocation ratio) is often a hundred times the
        # usage: on a linear axis the usage bars would not show.
        figure.update_yaxes(type='log', row=1, col=column)
    figure.update_layout(
        title='%s (provider %s)' % (hypervisor.hypervisor_hostname,
                                    hypervisor.id),
        barmode='group', height=320, margin=dict(t=70, b=20, l=50, r=20),
        legend=dict(orientation='h', y=-0.05))
    return plotly.io.to_html(
        figure, full_html=False, include_plotlyjs=False, div_id=div_id,
        default_height='320px',
        config={'displaylogo': False, 'responsive': True})


def _hosts(report):
    """Host -> ([hypervisors], [findings]); hosts with findings first."""
    snapshot = report.figures_snapshot
    hypervisors = collections.defaultdict(list)
    for _, hypervisor in sorted(snapshot.hypervisors.items()):
        hypervisors[hypervisor.host or hypervisor.hypervisor_hostname].append(
            hypervisor)
    findings = collections.defaultdict(list)
    for finding in report.findings:
        if finding.host:
            findings[finding.host].append(finding)
    hosts = set(hypervisors) | set(findings) | {
        service.host for service in snapshot.services.values()}

    def order(host):
        new = [f for f in findings[host] if not report.is_acknowledged(f)]
        return (-len(new), -len(findings[host]), host)
    return [(host, hypervisors[host], findings[host])
            for host in sorted(hosts, key=order)]


def _findings_table(report, findings):
    lines = ['<table class="findings"><tr><th>kind</th><th>severity</th>'
             '<th>provider</th><th>consumer</th><th>class</th>'
             '<th>expected</th><th>actual</th></tr>']
    for finding in findings:
        acknowledged = report.is_acknowledged(finding)
        marker = ' acknowledged' if acknowledged else ''
        severity = finding.severity + (' (acknowledged)' if acknowledged
                                       else '')
        lines.append(
            '<tr class="finding%s" data-kind="%s"><td>%s</td><td>%s</td>'
            '<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>'
            % (marker, _e(finding.kind), _e(finding.kind), _e(severity),
               _e(finding.provider), _e(finding.consumer),
               _e(finding.resource_class),
               _e(report_mod.AmountColumn(finding.expected)),
               _e(report_mod.AmountColumn(finding.actual))))
        lines.append(
            '<tr class="explanation%s"><td colspan="7">'
            '<p class="why">%s</p><p class="remedy">remedy: <code>%s</code>'
            '</p></td></tr>' % (marker, _e(finding.explanation),
                                _e(finding.remedy)))
    lines.append('</table>')
    return '\n'.join(lines)


def _summary(report):
    info = report_mod.summary(report)
    new = report.new_findings()
    when = datetime.datetime.fromtimestamp(
        report.finished_at, datetime.timezone.utc).strftime(
            '%Y-%m-%d %H:%M:%S UTC')
    if new:
        verdict = ('<p class="verdict findings">%d new finding(s)%s</p>'
                   % (len(new), ', %d acknowledged' % info['acknowledged']
                      if info['acknowledged'] else ''))
    elif report.findings:
        verdict = ('<p class="verdict clean">No new finding (%d '
                   'acknowledged)</p>' % info['acknowledged'])
    else:
        verdict = '<p class="verdict clean">No findings</p>'
    counts = ''.join('<tr><td>%s</td><td>%d</td></tr>' % (_e(kind), count)
                     for kind, count in info['counts'].items() if count)
    not_found = [kind for kind, count in info['counts'].items() if not count]
    return '\n'.join([
        '<header id="summary">',
        '<h1>tracker-audit</h1>',
        verdict,
        '<p>%s; %d read(s), %s requests; finished %s.</p>' % (
            _e(report_mod.seen_line(report)), info['reads'],
            _e(info['requests']), _e(when)),
        '<table class="counts"><tr><th>kind</th><th>findings</th></tr>%s'
        '</table>' % counts if counts else '',
        '<p>Checked and not found: %s.</p>' % _e(', '.join(not_found))
        if not_found else '',
        '<p>Bars use a logarithmic scale; hover for the figures.</p>',
        '</header>'])


def render(report):
    """The whole page as a string."""
    snapshot = report.figures_snapshot
    body = [_summary(report)]
    hosts = _hosts(report)
    body.append('<nav><p>Hosts: %s</p></nav>' % ', '.join(
        '<a href="#host-%s">%s</a>%s' % (
            _e(host), _e(host),
            ' (%d)' % len(findings) if findings else '')
        for host, _, findings in hosts))
    chart_count = 0
    for host, hypervisors, findings in hosts:
        new = [f for f in findings if not report.is_acknowledged(f)]
        classes = 'host has-findings' if new else 'host'
        badge = ''
        if new:
            badge = ' <span class="badge">%d finding(s)</span>' % len(new)
        elif findings:
            badge = (' <span class="badge acknowledged">%d acknowledged'
                     '</span>' % len(findings))
        body.append('<section class="%s" id="host-%s" data-findings="%d">'
                    % (classes, _e(host), len(new)))
        body.append('<h2>%s%s</h2>' % (_e(host), badge))
        for hypervisor in hypervisors:
            chart_count += 1
            body.append('<div class="chart">%s</div>' % node_chart(
                snapshot, hypervisor, 'chart-%d' % chart_count))
        if not hypervisors:
            body.append('<p>No hypervisor of this host was read.</p>')
        if findings:
            body.append(_findings_table(report, findings))
        body.append('</section>')
    hostless = [f for f in report.findings if not f.host]
    if hostless:
        body.append('<section class="host has-findings" id="no-host">'
                    '<h2>Findings on no host</h2>')
        body.append(_findings_table(report, hostless))
        body.append('</section>')
    if not snapshot.inventories_read:
        body.append('<p>Inventories were not read: no capacity or reserved '
                    'amounts.</p>')
    title = 'tracker-audit: %d new finding(s)' % len(report.new_findings())
    return '\n'.join([
        '<!DOCTYPE html>',
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="generator" content="tracker-audit">',
        '<title>%s</title>' % _e(title),
        '<script>%s</script>' % ERROR_TRAP,
        '<style>%s</style>' % STYLE,
        '<script>%s</script>' % plotly.offline.get_plotlyjs(),
        '</head><body data-charts="%d">' % chart_count,
    ] + body + [
        '<script>%s</script>' % RENDER_CHECK,
        '</body></html>', ''])
