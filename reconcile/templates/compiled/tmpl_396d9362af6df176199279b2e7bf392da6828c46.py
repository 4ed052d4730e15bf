from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'report.html.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_page = resolve('page')
    l_0_figures = resolve('figures')
    l_0_cancellations = l_0_policy = l_0_width = missing
    try:
        t_1 = environment.filters['capitalize']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'capitalize' found.")
    try:
        t_2 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    try:
        t_3 = environment.filters['reverse']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'reverse' found.")
    try:
        t_4 = environment.filters['sum']
    except KeyError:
        @internalcode
        def t_4(*unused):
            raise TemplateRuntimeError("No filter named 'sum' found.")
    try:
        t_5 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_5(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    pass
    yield '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">\n<title>reconcile: '
    yield escape(environment.getattr(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'run'), 'name'))
    yield '</title>\n<style>\n  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #111; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; }\n  h1 { font-size: 1.4rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #999; }\n  h3 { font-size: 1rem; margin-bottom: .3rem; }\n  .meta { color: #444; } table { border-collapse: collapse; margin: .4rem 0 1rem; }\n  th, td { border: 1px solid #bbb; padding: .2rem .5rem; text-align: left; vertical-align: top; }\n  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }\n  .bar { height: .8rem; display: block; } .removed { fill: #3465a4; } .held { fill: #555; stroke: #000; stroke-dasharray: 2 1; }\n  .current { font-weight: bold; } .none { color: #555; font-style: italic; }\n  .cards { display: flex; flex-wrap: wrap; gap: .8rem; } .card { border: 1px solid #999; padding: .4rem .8rem; min-width: 9rem; }\n  .card b { font-size: 1.3rem; display: block; }\n  svg text { font: 11px system-ui, sans-serif; fill: #111; }\n  @media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } table { break-inside: auto; } }\n</style>\n</head>\n<body>\n<h1>reconcile: the night of '
    yield escape(environment.getattr(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'run'), 'started'))
    yield '</h1>\n<p class="meta">Output folder <code>'
    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'out'))
    yield '</code>, run <code>'
    yield escape(environment.getattr(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'run'), 'name'))
    yield '</code>'
    if environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'previous'):
        pass
        yield ', compared with <code>'
        yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'previous'))
        yield '</code>'
    yield '. reconcile '
    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'version'))
    yield '.</p>\n\n'
    l_0_cancellations = environment.getattr(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'summary'), 'cancellations')
    context.vars['cancellations'] = l_0_cancellations
    context.exported_vars.add('cancellations')
    yield '<h2 id="glance">The night at a glance</h2>\n<div class="cards">\n  <div class="card"><b>'
    yield escape(environment.getattr((undefined(name='cancellations') if l_0_cancellations is missing else l_0_cancellations), 'applied'))
    yield '</b>cancellations applied<br>('
    yield escape(environment.getattr((undefined(name='cancellations') if l_0_cancellations is missing else l_0_cancellations), 'whole_order'))
    yield ' whole-order, '
    yield escape(environment.getattr((undefined(name='cancellations') if l_0_cancellations is missing else l_0_cancellations), 'line'))
    yield ' line)</div>\n  <div class="card"><b>'
    yield escape(t_4(environment, context.call(environment.getattr(environment.getattr((undefined(name='cancellations') if l_0_cancellations is missing else l_0_cancellations), 'rejected'), 'values'))))
    yield '</b>rejected'
    def t_6(fiter):
        for (l_1_reason, l_1_count) in fiter:
            if l_1_count:
                yield (l_1_reason, l_1_count)
    for (l_1_reason, l_1_count) in t_6(context.call(environment.getattr(environment.getattr((undefined(name='cancellations') if l_0_cancellations is missing else l_0_cancellations), 'rejected'), 'items'))):
        _loop_vars = {}
        pass
        yield '<br>'
        yield escape(l_1_count)
        yield ' '
        yield escape(l_1_reason)
    l_1_reason = l_1_count = missing
    yield '</div>\n  <div class="card"><b>'
    yield escape(environment.getattr((undefined(name='cancellations') if l_0_cancellations is missing else l_0_cancellations), 'unmatched'))
    yield '</b>unmatched (no batch holds the line)</div>\n  <div class="card"><b>'
    yield escape(context.call(environment.getattr((undefined(name='cancellations') if l_0_cancellations is missing else l_0_cancellations), 'get'), 'ids_trimmed', 0))
    yield '</b>typed ids trimmed</div>\n</div>\n\n<h3>Per batch status</h3>\n<table>\n  <thead><tr><th>batch status</th><th>action</th><th class="n">batches touched</th><th class="n">lines removed</th><th class="n">lines held</th><th>removed and held, drawn</th><th class="n">queued</th><th class="n">archived</th></tr></thead>\n  <tbody>\n'
    for l_1_row in environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'statuses'):
        _loop_vars = {}
        pass
        yield '    <tr><td>'
        yield escape(environment.getattr(l_1_row, 'status'))
        yield '</td><td>'
        yield escape(environment.getattr(l_1_row, 'action'))
        yield '</td><td class="n">'
        yield escape(environment.getattr(l_1_row, 'batches_touched'))
        yield '</td>\n      <td class="n">'
        yield escape(environment.getattr(l_1_row, 'lines_removed'))
        yield '</td><td class="n">'
        yield escape(environment.getattr(l_1_row, 'lines_held'))
        yield '</td>\n      <td><svg width="220" height="26" role="img" aria-label="'
        yield escape(environment.getattr(l_1_row, 'lines_removed'))
        yield ' removed, '
        yield escape(environment.getattr(l_1_row, 'lines_held'))
        yield ' held">\n        <title>'
        yield escape(environment.getattr(l_1_row, 'status'))
        yield ': '
        yield escape(environment.getattr(l_1_row, 'lines_removed'))
        yield ' removed, '
        yield escape(environment.getattr(l_1_row, 'lines_held'))
        yield ' held</title>\n        <rect class="removed" x="0" y="2" height="9" width="'
        yield escape(('%.1f' % (environment.getattr(l_1_row, 'removed_share') * 120)))
        yield '"></rect>\n        <text x="'
        yield escape(('%.1f' % ((environment.getattr(l_1_row, 'removed_share') * 120) + 4)))
        yield '" y="10">'
        yield escape(environment.getattr(l_1_row, 'lines_removed'))
        yield ' removed</text>\n        <rect class="held" x="0" y="15" height="9" width="'
        yield escape(('%.1f' % (environment.getattr(l_1_row, 'held_share') * 120)))
        yield '"></rect>\n        <text x="'
        yield escape(('%.1f' % ((environment.getattr(l_1_row, 'held_share') * 120) + 4)))
        yield '" y="23">'
        yield escape(environment.getattr(l_1_row, 'lines_held'))
        yield ' held</text>\n      </svg></td>\n      <td class="n">'
        yield escape(environment.getattr(l_1_row, 'batches_queued'))
        yield '</td><td class="n">'
        yield escape(environment.getattr(l_1_row, 'batches_archived'))
        yield '</td></tr>\n'
    l_1_row = missing
    yield '  </tbody>\n</table>\n\n<h3>Files read</h3>\n<table>\n  <thead><tr><th>input</th><th>file</th><th class="n">rows</th><th>SHA-256</th><th>notes</th></tr></thead>\n  <tbody>\n'
    for (l_1_role, l_1_entries) in context.call(environment.getattr(environment.getattr(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'summary'), 'inputs'), 'items')):
        _loop_vars = {}
        pass
        for l_2_entry in l_1_entries:
            _loop_vars = {}
            pass
            yield '    <tr><td>'
            yield escape(l_1_role)
            yield '</td><td>'
            yield escape(environment.getattr(l_2_entry, 'file'))
            yield '</td><td class="n">'
            yield escape(context.call(environment.getattr(l_2_entry, 'get'), 'rows', '', _loop_vars=_loop_vars))
            yield '</td><td><code>'
            yield escape(environment.getattr(l_2_entry, 'sha256')[:16])
            yield '</code></td>\n      <td>'
            if (l_1_role in context.call(environment.getattr(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'summary'), 'get'), 'picked', {}, _loop_vars=_loop_vars)):
                pass
                yield 'pick = "last" chose it of '
                yield escape(environment.getitem(environment.getattr(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'summary'), 'picked'), l_1_role))
                yield ' matches'
            if context.call(environment.getattr(l_2_entry, 'get'), 'ids_trimmed', _loop_vars=_loop_vars):
                pass
                yield ' '
                yield escape(environment.getattr(l_2_entry, 'ids_trimmed'))
                yield ' ids trimmed'
            yield '</td></tr>\n'
        l_2_entry = missing
    l_1_role = l_1_entries = missing
    yield '  </tbody>\n</table>\n\n<h3>Policy and values in force</h3>\n'
    l_0_policy = environment.getattr(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'summary'), 'policy')
    context.vars['policy'] = l_0_policy
    context.exported_vars.add('policy')
    yield '<p>'
    if environment.getattr((undefined(name='policy') if l_0_policy is missing else l_0_policy), 'overrides'):
        pass
        yield 'The default policy'
        if environment.getattr((undefined(name='policy') if l_0_policy is missing else l_0_policy), 'source'):
            pass
            yield ' ('
            yield escape(environment.getattr(environment.getattr((undefined(name='policy') if l_0_policy is missing else l_0_policy), 'source'), 'file'))
            yield ')'
        yield ', with\n'
        l_1_loop = missing
        for (l_1_status, l_1_action), l_1_loop in LoopContext(context.call(environment.getattr(environment.getattr((undefined(name='policy') if l_0_policy is missing else l_0_policy), 'overrides'), 'items')), undefined):
            _loop_vars = {}
            pass
            yield escape(l_1_status)
            yield ' &rarr; '
            yield escape(l_1_action)
            if (not environment.getattr(l_1_loop, 'last')):
                pass
                yield ', '
        l_1_loop = l_1_status = l_1_action = missing
        yield '.\n'
    else:
        pass
        yield 'The default policy: Filling refills; Pending Generation and In Production (Stock Picking) regenerate; every other status holds.'
    yield '  A whole-order cancellation writes <code>'
    yield escape(environment.getattr(environment.getitem(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'summary'), 'values'), 'order_cancelled'))
    yield '</code>; a batch this run empties becomes <code>'
    yield escape(environment.getattr(environment.getitem(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'summary'), 'values'), 'batch_archived'))
    yield '</code>.</p>\n\n<h2 id="changes">Against the previous run</h2>\n'
    if t_5(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'comparison')):
        pass
        yield '<p class="none">No earlier run is kept to compare with.</p>\n'
    else:
        pass
        yield '<table>\n  <thead><tr><th>file</th><th class="n">added</th><th class="n">removed</th><th class="n">changed</th></tr></thead>\n  <tbody>\n'
        for l_1_diff in environment.getattr(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'comparison'), 'diffs'):
            _loop_vars = {}
            pass
            yield '    <tr><td>'
            yield escape(environment.getattr(l_1_diff, 'name'))
            yield '</td>'
            if environment.getattr(l_1_diff, 'only_in'):
                pass
                yield '<td colspan="3">only in the '
                yield escape(environment.getattr(l_1_diff, 'only_in'))
                yield ' run</td>'
            else:
                pass
                yield '<td class="n">'
                yield escape(environment.getattr(environment.getattr(l_1_diff, 'added'), 'height'))
                yield '</td><td class="n">'
                yield escape(environment.getattr(environment.getattr(l_1_diff, 'removed'), 'height'))
                yield '</td><td class="n">'
                yield escape(environment.getattr(l_1_diff, 'changed_rows'))
                yield '</td>'
            yield '</tr>\n'
        l_1_diff = missing
        yield '  </tbody>\n</table>\n'
        def t_7(fiter):
            for l_1_diff in fiter:
                if ((not environment.getattr(l_1_diff, 'identical')) and (not environment.getattr(l_1_diff, 'only_in'))):
                    yield l_1_diff
        for l_1_diff in t_7(environment.getattr(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'comparison'), 'diffs')):
            _loop_vars = {}
            pass
            yield '  <h3>'
            yield escape(environment.getattr(l_1_diff, 'name'))
            yield '</h3>\n'
            def t_8(fiter):
                for (l_2_label, l_2_frame) in fiter:
                    if environment.getattr(l_2_frame, 'height'):
                        yield (l_2_label, l_2_frame)
            for (l_2_label, l_2_frame) in t_8((('Added', environment.getattr(l_1_diff, 'added')), ('Removed', environment.getattr(l_1_diff, 'removed')), ('Changed', environment.getattr(l_1_diff, 'changes')))):
                l_2_shown = resolve('shown')
                l_2_header = l_2_rows = missing
                _loop_vars = {}
                pass
                (l_2_header, l_2_rows) = context.call((undefined(name='shown') if l_2_shown is missing else l_2_shown), l_2_frame, environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'limit'), _loop_vars=_loop_vars)
                _loop_vars.update({'header': l_2_header, 'rows': l_2_rows})
                yield '    <p>'
                yield escape(l_2_label)
                yield ': '
                yield escape(environment.getattr(l_2_frame, 'height'))
                if (environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'limit') and (environment.getattr(l_2_frame, 'height') > environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'limit'))):
                    pass
                    yield ' (the first '
                    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'limit'))
                    yield ')'
                yield '</p>\n    <table><thead><tr>'
                for l_3_name in (undefined(name='header') if l_2_header is missing else l_2_header):
                    _loop_vars = {}
                    pass
                    yield '<th>'
                    yield escape(l_3_name)
                    yield '</th>'
                l_3_name = missing
                yield '</tr></thead>\n    <tbody>'
                for l_3_row in (undefined(name='rows') if l_2_rows is missing else l_2_rows):
                    _loop_vars = {}
                    pass
                    yield '<tr>'
                    for l_4_value in l_3_row:
                        _loop_vars = {}
                        pass
                        yield '<td>'
                        yield escape(l_4_value)
                        yield '</td>'
                    l_4_value = missing
                    yield '</tr>'
                l_3_row = missing
                yield '</tbody></table>\n'
            l_2_label = l_2_frame = l_2_shown = l_2_header = l_2_rows = missing
        l_1_diff = missing
    yield '\n<h2 id="lists">The lists to act on</h2>\n'
    for l_1_listed in environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'lists'):
        _loop_vars = {}
        pass
        yield '  <h3>'
        yield escape(environment.getattr(l_1_listed, 'title'))
        yield ': '
        yield escape(environment.getattr(l_1_listed, 'total'))
        yield ' row(s)</h3>\n  <p class="meta">'
        yield escape(environment.getattr(l_1_listed, 'name'))
        yield ': '
        yield escape(environment.getattr(l_1_listed, 'purpose'))
        if (environment.getattr(l_1_listed, 'total') > t_2(environment.getattr(l_1_listed, 'rows'))):
            pass
            yield '; the first '
            yield escape(t_2(environment.getattr(l_1_listed, 'rows')))
            yield ' shown'
        yield '.</p>\n'
        if environment.getattr(l_1_listed, 'rows'):
            pass
            yield '  <table><thead><tr>'
            for l_2_name in environment.getattr(l_1_listed, 'columns'):
                _loop_vars = {}
                pass
                yield '<th>'
                yield escape(l_2_name)
                yield '</th>'
            l_2_name = missing
            yield '</tr></thead>\n  <tbody>'
            for l_2_row in environment.getattr(l_1_listed, 'rows'):
                _loop_vars = {}
                pass
                yield '<tr>'
                for l_3_value in l_2_row:
                    _loop_vars = {}
                    pass
                    yield '<td>'
                    yield escape(l_3_value)
                    yield '</td>'
                l_3_value = missing
                yield '</tr>'
            l_2_row = missing
            yield '</tbody></table>\n'
        else:
            pass
            yield '<p class="none">None.</p>'
    l_1_listed = missing
    yield '\n<h2 id="history">The nights before</h2>\n<p class="meta">Every published run the history keeps, oldest first; this run in bold, marked &#9654;. A night far above the others stands out.</p>\n'
    l_0_width = (40 + (t_2(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'history')) * 28))
    context.vars['width'] = l_0_width
    context.exported_vars.add('width')
    l_1_loop = missing
    for (l_1_key, l_1_label), l_1_loop in LoopContext((undefined(name='figures') if l_0_figures is missing else l_0_figures), undefined):
        _loop_vars = {}
        pass
        yield '  <h3>'
        yield escape(t_1(l_1_label))
        yield '</h3>\n  <svg width="'
        yield escape((undefined(name='width') if l_0_width is missing else l_0_width))
        yield '" height="120" role="img" aria-label="'
        yield escape(l_1_label)
        yield ' per run">\n    <title>'
        yield escape(l_1_label)
        yield ' per run</title>\n    <line x1="30" y1="100" x2="'
        yield escape((undefined(name='width') if l_0_width is missing else l_0_width))
        yield '" y2="100" stroke="#111"></line>\n'
        l_2_loop = missing
        for l_2_run, l_2_loop in LoopContext(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'history'), undefined):
            l_2_x = l_2_height = missing
            _loop_vars = {}
            pass
            l_2_x = (36 + (environment.getattr(l_2_loop, 'index0') * 28))
            _loop_vars['x'] = l_2_x
            l_2_height = (environment.getitem(l_2_run, markup_join((l_1_key, '_share', ))) * 80)
            _loop_vars['height'] = l_2_height
            yield '      <rect class="'
            yield escape(('removed' if environment.getattr(l_2_run, 'current') else 'held'))
            yield '" x="'
            yield escape((undefined(name='x') if l_2_x is missing else l_2_x))
            yield '" y="'
            yield escape(('%.1f' % (100 - (undefined(name='height') if l_2_height is missing else l_2_height))))
            yield '" width="18" height="'
            yield escape(('%.1f' % (undefined(name='height') if l_2_height is missing else l_2_height)))
            yield '"><title>'
            yield escape(environment.getattr(l_2_run, 'name'))
            yield ': '
            yield escape(environment.getitem(l_2_run, l_1_key))
            yield ' '
            yield escape(l_1_label)
            yield '</title></rect>\n      <text x="'
            yield escape((undefined(name='x') if l_2_x is missing else l_2_x))
            yield '" y="'
            yield escape(('%.1f' % (96 - (undefined(name='height') if l_2_height is missing else l_2_height))))
            yield '">'
            yield escape(environment.getitem(l_2_run, l_1_key))
            yield '</text>\n'
            if environment.getattr(l_2_run, 'current'):
                pass
                yield '<text x="'
                yield escape(((undefined(name='x') if l_2_x is missing else l_2_x) + 4))
                yield '" y="114">&#9654;</text>'
        l_2_loop = l_2_run = l_2_x = l_2_height = missing
        yield '  </svg>\n'
    l_1_loop = l_1_key = l_1_label = missing
    yield '<table>\n  <thead><tr><th>run</th><th>when (UTC)</th>'
    for (l_1_key, l_1_label) in (undefined(name='figures') if l_0_figures is missing else l_0_figures):
        _loop_vars = {}
        pass
        yield '<th class="n">'
        yield escape(l_1_label)
        yield '</th>'
    l_1_key = l_1_label = missing
    yield '</tr></thead>\n  <tbody>\n'
    for l_1_run in t_3(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'history')):
        _loop_vars = {}
        pass
        yield '    <tr'
        if environment.getattr(l_1_run, 'current'):
            pass
            yield ' class="current"'
        yield '><td>'
        if environment.getattr(l_1_run, 'current'):
            pass
            yield '&#9654; '
        yield escape(environment.getattr(l_1_run, 'name'))
        yield '</td><td>'
        yield escape(environment.getattr(l_1_run, 'when'))
        yield '</td>'
        for (l_2_key, l_2_label) in (undefined(name='figures') if l_0_figures is missing else l_0_figures):
            _loop_vars = {}
            pass
            yield '<td class="n">'
            yield escape(environment.getitem(l_1_run, l_2_key))
            yield '</td>'
        l_2_key = l_2_label = missing
        yield '</tr>\n'
    l_1_run = missing
    yield '  </tbody>\n</table>\n</body>\n</html>'

blocks = {}
debug_info = '7=45&24=47&25=49&27=61&30=65&31=71&32=86&33=88&40=90&41=94&42=100&43=104&44=108&45=114&46=116&47=120&48=122&50=126&59=132&60=139&61=147&67=161&68=165&69=175&71=190&74=194&80=200&81=204&85=223&86=231&87=233&88=242&89=245&90=254&91=262&97=279&98=283&99=287&100=296&101=299&102=307&108=326&109=330&110=334&111=336&112=340&113=342&114=345&115=349&116=354&117=368&118=374&123=383&125=391&126=395'