// The stylesheet and the script of forgedb's pages, compiled into the binary (no third-party CDN
// or fonts). The pages work without the script, except the in-place day list and the form draft.

#include "forgedb/web/ui/render.hpp"

namespace forgedb::ui {

const std::string_view kStylesheet = R"css(
:root { --ink: #202122; --muted: #54595d; --line: #dcdcdc; --accent: #3366cc; --bg: #f8f9fa;
        --good: #14866d; --warn-bg: #fef6e7; --warn: #ac6600; --bad-bg: #fee7e6; --bad: #d33; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
             sans-serif; }
a { color: var(--accent); }
header.site { display: flex; align-items: baseline; gap: 1em; padding: .7em 1.5em;
              background: #fff; border-bottom: 1px solid var(--line); }
header.site .brand { font-weight: 700; font-size: 1.2em; color: var(--ink); text-decoration: none; }
header.site .tagline { color: var(--muted); font-size: .9em; }
main { max-width: 1040px; margin: 1.5em auto; padding: 0 1em; }
footer.site { max-width: 1040px; margin: 2em auto; padding: 0 1em; color: var(--muted);
              font-size: .85em; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: 1em 1.5em;
        margin-bottom: 1.2em; }
h1 { font-size: 1.6em; margin: .2em 0 .4em; }
h2 { font-size: 1.05em; margin: .2em 0 .6em; text-transform: uppercase; letter-spacing: .04em;
     color: var(--muted); }
.lead { color: var(--muted); margin-top: 0; }
.error { background: var(--bad-bg); color: var(--bad); padding: .5em .8em; border-radius: 3px; }
.warning { background: var(--warn-bg); color: var(--warn); padding: .5em .8em; border-radius: 3px; }
#name-warning { margin-bottom: 1em; } #name-warning p { margin-top: 0; }
.progress { background: #eaf3ff; color: var(--accent); padding: .5em .8em; border-radius: 3px; }
.note { color: var(--muted); }
table.rows { width: 100%; border-collapse: collapse; }
table.rows th { text-align: left; font-weight: 600; font-size: .85em; color: var(--muted);
                padding: 0 .3em .3em; }
table.rows td { padding: .25em .3em; }
input[type=text] { width: 100%; padding: .45em .6em; border: 1px solid #a2a9b1; border-radius: 3px;
                   font: inherit; }
input[type=text]:focus { outline: 2px solid var(--accent); border-color: var(--accent); }
.actions { display: flex; gap: .6em; margin-top: .8em; align-items: center; }
.actions .spacer { flex: 1; }
button { font: inherit; padding: .45em 1.1em; border-radius: 3px; cursor: pointer;
         border: 1px solid #a2a9b1; background: #f8f9fa; color: var(--ink); }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff;
                 font-weight: 600; }
button:disabled { opacity: .5; cursor: default; }
.hidden-default { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
.accounts .account { margin-right: 1.2em; }
.accounts .real-name { color: var(--muted); }
.pager { display: flex; gap: 1em; justify-content: space-between; font-size: .9em; }
.range { color: var(--muted); margin: .2em 0 .6em; }
form.filter { display: flex; flex-wrap: wrap; gap: .6em; align-items: center; }
form.filter select { font: inherit; padding: .3em; }
.total { font-size: 2.4em; font-weight: 700; margin: 0 0 .3em; }
.heatmap-scroll { overflow-x: auto; }
svg.heatmap { display: block; height: auto; }
svg.heatmap text { font-size: 10px; fill: var(--muted); }
svg.heatmap a rect { cursor: pointer; }
svg.heatmap rect.selected, svg.heatmap a:focus rect { stroke: #202122; stroke-width: 2px; }
svg.heatmap rect.out { opacity: .6; }
.hint { color: var(--muted); font-size: .85em; margin: .3em 0 0; }
.day h2 { text-transform: none; letter-spacing: 0; color: var(--ink); font-size: 1.15em; }
ul.items { list-style: none; padding: 0; margin: 0; }
ul.items li { padding: .45em 0; border-top: 1px solid #eaecf0; }
ul.items .platform { display: inline-block; min-width: 7.5em; font-size: .8em; font-weight: 600;
                     color: var(--muted); text-transform: uppercase; }
ul.items .status { font-size: .8em; color: var(--muted); margin-left: .4em; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr));
          gap: 0 1.2em; }
svg.chart { width: 100%; height: auto; }
svg.chart .grid { stroke: #eaecf0; }
svg.chart text { font-size: 10px; fill: var(--muted); }
ul.legend { list-style: none; padding: 0; margin: 0 0 .4em; display: flex; gap: 1.2em;
            font-size: .85em; }
ul.legend .swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px;
                    margin-right: .35em; }
ul.legend .sum { color: var(--muted); }
table.totals { border-collapse: collapse; width: 100%; }
table.totals th, table.totals td { padding: .4em .6em; border-bottom: 1px solid #eaecf0;
                                   text-align: left; }
table.totals .num { text-align: right; font-variant-numeric: tabular-nums; }
)css";

const std::string_view kScript = R"js(
(function () {
  'use strict';

  // ---- result page: the day list, fetched in place ----
  var cal = document.getElementById('calendar');
  var slot = document.getElementById('day-slot');
  if (cal && slot) {
    var hash = cal.getAttribute('data-hash');
    var user = cal.getAttribute('data-user');
    var safeLink = function (url) {
      return /^https?:\/\//i.test(url || '') ? url : '';
    };
    var render = function (day, items) {
      var sec = document.createElement('section');
      sec.id = 'day';
      sec.className = 'card day';
      sec.setAttribute('data-day', day);
      if (!items.length) {
        var p = document.createElement('p');
        p.className = 'empty';
        p.textContent = user + ' has no activity on this day.';
        sec.appendChild(p);
      } else {
        var h = document.createElement('h2');
        h.textContent = user + "'s activity on " + day;
        sec.appendChild(h);
        var ul = document.createElement('ul');
        ul.className = 'items';
        items.forEach(function (it) {
          var li = document.createElement('li');
          var pf = document.createElement('span');
          pf.className = 'platform';
          pf.textContent = it.platform || '';
          li.appendChild(pf);
          li.appendChild(document.createTextNode(' '));
          var title = it.heading || it.title || '(untitled)';
          var href = safeLink(it.url) || safeLink(it.redirect);
          var t = document.createElement(href ? 'a' : 'span');
          t.className = 'title';
          if (href) t.href = href;
          t.textContent = title;
          li.appendChild(t);
          var status = it.status || it.staus;
          if (status) {
            var st = document.createElement('span');
            st.className = 'status';
            st.textContent = status;
            li.appendChild(document.createTextNode(' '));
            li.appendChild(st);
          }
          ul.appendChild(li);
        });
        sec.appendChild(ul);
      }
      slot.replaceChildren(sec);
      sec.scrollIntoView({block: 'start'});
    };
    var fetchAll = function (url, acc, pages) {
      return fetch(url, {headers: {'Accept': 'application/json'}}).then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      }).then(function (data) {
        var list = Array.isArray(data) ? data : (data.results || []);
        acc = acc.concat(list);
        if (data && data.next && pages < 50) return fetchAll(data.next, acc, pages + 1);
        return acc;
      });
    };
    var load = function (cell) {
      var day = cell.getAttribute('data-day');
      var prev = cal.querySelector('rect.selected');
      if (prev) prev.classList.remove('selected');
      cell.classList.add('selected');
      var busy = document.createElement('p');
      busy.className = 'card note';
      busy.textContent = 'Loading ' + day + '\u2026';
      slot.replaceChildren(busy);
      var url = '/result/' + encodeURIComponent(hash) + '/commits/?day=' + day +
                '&user=' + encodeURIComponent(user);
      var href = cell.parentNode.getAttribute('href') || ('?day=' + day);
      // Without the JSON API (or when it fails), the day list of the server-rendered page.
      var fallback = function () {
        return fetch(href).then(function (res) {
          if (!res.ok) throw new Error('HTTP ' + res.status);
          return res.text();
        }).then(function (text) {
          var doc = new DOMParser().parseFromString(text, 'text/html');
          var sec = doc.getElementById('day');
          if (!sec) throw new Error('no day list');
          var node = document.importNode(sec, true);
          slot.replaceChildren(node);
          node.scrollIntoView({block: 'start'});
        });
      };
      fetchAll(url, [], 1).then(function (items) {
        render(day, items);
      }, fallback).then(function () {
        if (window.history && history.replaceState) {
          var q = new URLSearchParams(location.search);
          q.set('day', day);
          history.replaceState(null, '', '?' + q.toString());
        }
      }).catch(function (err) {
        var p = document.createElement('p');
        p.className = 'error';
        p.textContent = 'The day could not be loaded (' + err.message + '). ';
        var a = document.createElement('a');
        a.href = href;
        a.textContent = 'Open it as a page';
        p.appendChild(a);
        slot.replaceChildren(p);
      });
    };
    cal.addEventListener('click', function (ev) {
      var cell = ev.target.closest && ev.target.closest('rect[data-count]');
      if (!cell) return;
      ev.preventDefault();
      load(cell);
    });
  }

  // ---- query form: rows added in place, draft kept in this browser ----
  var form = document.getElementById('query-form');
  if (form) {
    var KEY = 'forgedb.query-draft';
    var FIELDS = ['fullname', 'gerrit', 'phabricator', 'github'];
    var tbody = document.getElementById('rows');
    var removeBtn = document.getElementById('remove-row');
    var rows = function () { return tbody.querySelectorAll('tr.row'); };
    var relabel = function () {
      Array.prototype.forEach.call(rows(), function (tr, i) {
        tr.querySelectorAll('input').forEach(function (inp) {
          var label = inp.getAttribute('aria-label').replace(/, row \d+$/, '');
          inp.setAttribute('aria-label', label + ', row ' + (i + 1));
        });
      });
      removeBtn.disabled = rows().length <= 1;
    };
    var addRow = function () {
      var all = rows();
      if (all.length >= 50) return null;
      var tr = all[all.length - 1].cloneNode(true);
      tr.querySelectorAll('input').forEach(function (inp) { inp.value = ''; });
      tbody.appendChild(tr);
      relabel();
      return tr;
    };
    var read = function () {
      return Array.prototype.map.call(rows(), function (tr) {
        var r = {};
        FIELDS.forEach(function (f) { r[f] = tr.querySelector('[name=' + f + ']').value; });
        return r;
      });
    };
    var save = function () {
      try { localStorage.setItem(KEY, JSON.stringify(read())); } catch (e) { /* private mode */ }
    };
    var restore = function () {
      var empty = read().every(function (r) {
        return FIELDS.every(function (f) { return !r[f]; });
      });
      if (!empty) return;
      var draft = null;
      try { draft = JSON.parse(localStorage.getItem(KEY) || 'null'); } catch (e) { draft = null; }
      if (!Array.isArray(draft) || !draft.length) return;
      while (rows().length < draft.length && addRow()) { /* grow */ }
      Array.prototype.forEach.call(rows(), function (tr, i) {
        FIELDS.forEach(function (f) {
          if (draft[i] && typeof draft[i][f] === 'string') {
            tr.querySelector('[name=' + f + ']').value = draft[i][f];
          }
        });
      });
    };
    restore();
    relabel();
    form.addEventListener('input', save);
    document.getElementById('add-row').addEventListener('click', function (ev) {
      ev.preventDefault();
      var tr = addRow();
      if (tr) tr.querySelector('input').focus();
      save();
    });
    removeBtn.addEventListener('click', function (ev) {
      ev.preventDefault();
      var all = rows();
      if (all.length > 1) all[all.length - 1].remove();
      relabel();
      save();
    });
    document.getElementById('clear-draft').addEventListener('click', function () {
      Array.prototype.forEach.call(rows(), function (tr, i) {
        if (i > 0) tr.remove();
      });
      form.querySelectorAll('input[type=text]').forEach(function (inp) { inp.value = ''; });
      relabel();
      try { localStorage.removeItem(KEY); } catch (e) { /* private mode */ }
    });
    form.addEventListener('submit', function (ev) {
      var action = ev.submitter ? ev.submitter.value : 'search';
      if (action !== 'search') return;
      var problem = '';
      var any = false;
      read().forEach(function (r, i) {
        if (problem || FIELDS.every(function (f) { return !r[f].trim(); })) return;
        any = true;
        if (!r.fullname.trim()) {
          problem = 'Full name cannot be left blank; it is missing in row ' + (i + 1) + '.';
        } else if (!r.gerrit.trim() && !r.phabricator.trim() && !r.github.trim()) {
          problem = 'Usernames are missing in row ' + (i + 1) +
                    ': give at least one of Gerrit, Phabricator or GitHub.';
        }
      });
      if (!problem && !any) {
        problem = 'To visualize contributions, please provide user(s) information above.';
      }
      if (problem) {
        ev.preventDefault();
        var box = document.getElementById('form-error');
        box.textContent = problem;
        box.hidden = false;
        return;
      }
      if (confirmed) return;
      // As the original: ask the mirror whether the platforms' real names match each full name
      // (fuzzy score, 0-100) and warn at 60 or less before searching. A failed check does not
      // stand in the way.
      ev.preventDefault();
      var people = read().filter(function (r) { return r.fullname.trim(); });
      Promise.all(people.map(function (r) {
        return fetch('/result/match-fullnames/', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ users: [{ fullname: r.fullname.trim(),
                                           gerrit_username: r.gerrit.trim(),
                                           phabricator_username: r.phabricator.trim(),
                                           github_username: r.github.trim() }] })
        }).then(function (res) { return res.ok ? res.json() : null; })
          .catch(function () { return null; })
          .then(function (data) {
            var score = data && typeof data.match_percent === 'number' ? data.match_percent : null;
            return score !== null && score <= 60 ? r.fullname.trim() : null;
          });
      })).then(function (names) {
        var doubtful = names.filter(function (n) { return n; });
        if (!doubtful.length) { confirmed = true; submitSearch(); return; }
        warning.querySelector('#name-warning-text').textContent =
          'The usernames given for ' + doubtful.join(', ') +
          ' do not seem to belong to the same person: the real names the forges know for ' +
          'them do not match the full name. Do you still want to search?';
        warning.hidden = false;
        document.getElementById('name-warning-go').focus();
      });
    });
    var confirmed = false;
    var warning = document.getElementById('name-warning');
    var submitSearch = function () {
      var btn = document.getElementById('search');
      if (form.requestSubmit) { form.requestSubmit(btn); } else { btn.click(); }
    };
    form.addEventListener('input', function () { confirmed = false; warning.hidden = true; });
    document.getElementById('name-warning-go').addEventListener('click', function () {
      warning.hidden = true;
      confirmed = true;
      submitSearch();
    });
    document.getElementById('name-warning-back').addEventListener('click', function () {
      warning.hidden = true;
      var first = form.querySelector('input[name=fullname]');
      if (first) first.focus();
    });
  }
})();
)js";

}  // namespace forgedb::ui
