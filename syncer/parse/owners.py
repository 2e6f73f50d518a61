"""Who an item belongs to, as written: owner cells, annotations and lead phrases.

An owner is kept as written (without "@"); several owners are joined with ", ". Values
that say nobody owns the item yet ("TBD", "—", "n/a", "?", "none") are no owner.

Forms read (the README's "What counts as an action item" lists them with examples):

* annotations anywhere: ``(owner: x)``, ``Owner: x``, ``Assignee: x``, ``[owner: x]``,
  ``(@x)``, ``assigned to @x``, ``— @x`` at the end;
* lead phrases, which also leave the title: ``TODO(x):``, ``@x to …``, ``@x: …``,
  ``Ana to …`` / ``Ana will …`` (one capitalised name that is not a common word),
  ``[Storage] …``, and ``Name: …`` when the name is an @handle, ends in a team word
  ("Platform team:") or is one word (not a topic such as "Monitoring") before an
  imperative verb ("Storage: rotate the keys").

An organisation is not an owner: a lead phrase naming one ("Acme Labs will run the
tests", "Hypha to coordinate the upgrade" in a postmortem written by "Hypha and
Interchain Labs") says what a company commits to, not who is assigned. Organisations
are names with a company suffix (Labs, Inc., Ltd, GmbH, Foundation…) and the names
listed beside one on the postmortem's Authors / Organisations line
(`organisations_of`). Owner columns and annotations are taken as written.
"""

from __future__ import annotations

import re

from pmsync.parse.text import capitalised, plain_text

_NOBODY = frozenset(
    {"", "-", "--", "—", "–", "?", "??", "tbd", "tba", "n/a", "na", "none", "nobody",
     "unassigned", "unknown", "todo", "x", "-/-"}
)  # fmt: skip
_NAME = r"@?[A-Za-z][\w.-]*"
# A name in an owner annotation: "@ana", "Ana Lima", "Payments team" (a second word only
# when capitalised or a team word, never a keyword: "Owner: Ana Due: …").
_SECOND = (
    r"(?:(?<!\.)(?:\s+(?!(?i:due|target|eta|priority|deadline|status|by|p[0-4])\b)"
    r"(?-i:[A-Z])[\w.-]*|\s+(?i:team|squad|crew|group|guild)))"
)
_FULL_NAME = rf"@?[\w][\w.-]*{_SECOND}?"
_ONE_OWNER = re.compile(_NAME + _SECOND + "?")
_SEPARATORS = re.compile(r"\s*(?:,|;|/|&|\+|\band\b)\s*", re.IGNORECASE)
# Words after an owner annotation that are not more owners: "owner: @ana, P1, due Nov 15".
_NOT_A_NAME = re.compile(
    r"^(?:p[0-4]|due|by|eta|target|priority|deadline|high|medium|low|critical|urgent|done"
    r"|status|open|closed|wip|blocked|ongoing|in|on|before|until|the|a|an|is|was)$",
    re.IGNORECASE,
)
_ANNOTATION = (
    re.compile(r"\[(?:owners?|assignees?)\s*:\s*([^\]]+)\]", re.IGNORECASE),
    re.compile(
        rf"\b(?:owners?|assignees?|assigned\s+to|dri|responsible)\s*[:=]\s*"
        rf"((?:{_FULL_NAME})(?:\s*(?:,|&|/|\+|\band\b)\s*{_FULL_NAME})*)",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:assigned\s+to|owned\s+by|owners?|dri)\s+(@[\w][\w.-]*(?:\s*(?:,|&|\band\b)\s*@[\w][\w.-]*)*)",
        re.I,
    ),
    re.compile(r"\((@[\w][\w.-]*(?:\s*(?:,|&|\band\b)\s*@[\w][\w.-]*)*)\)"),
    re.compile(r"\(([A-Za-z][\w.-]*)\)\s*[—–-]+\s*(?:due|by|eta|target)\b", re.IGNORECASE),
    re.compile(r"\s[—–-]\s+(@[\w][\w.-]*(?:\s*(?:,|&|\band\b)\s*@[\w][\w.-]*)*)\s*\.?\s*$"),
)
_OWNER_HINT = re.compile(r"[@(—–]|\b(?:own|assign|dri|responsible)", re.IGNORECASE)
# What a text _OWNER_HINT matches holds, found without a case-blind pattern (most items
# hold none): one of its characters, or a piece of each word in the lowercased text. The
# pieces skip "i" and "s", which IGNORECASE also matches as the dotless "ı" and the long
# "ſ"; for their letters, every character IGNORECASE takes lowercases to exactly it.
_OWNER_MARKS = ("@", "(", "—", "–")
_OWNER_PIECES = ("own", "gn", "dr", "pon")
# A name after a dash at the end of an item, no @ ("… — Li", "… – Ana Lima").
_TAIL_NAME = re.compile(
    r"(?<!\s)\s+[—–]\s+([A-Z][a-z]+(?:\s[A-Z][a-z]+)?)\s*(?:,\s*(?:by|due)\b[^—–]*)?\.?\s*$"
)
_TODO = re.compile(r"^(?:TODO|FIXME|AI|ACTION)\(\s*([^)]+?)\s*\)\s*:?\s*(?P<rest>.+)$", re.I | re.S)
_HANDLE_LEAD = re.compile(
    r"^(@[\w][\w.-]*(?:\s*(?:,|&|\band\b)\s*@[\w][\w.-]*)*)\s*(?::|[—–-]\s|\s(?=to\s|will\s))"
    r"\s*(?:to\s+|will\s+)?(?P<rest>.+)$",
    re.DOTALL,
)
_NAME_LEAD = re.compile(
    r"^(?P<name>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s+(?:to|will)\s+(?P<rest>.+)$",
    re.DOTALL,
)
_BRACKET_LEAD = re.compile(r"^\[(?P<name>[^\]\[]{1,40})\](?!\()\s*[:—–-]?\s*(?P<rest>.+)$", re.S)
_LABEL_LEAD = re.compile(r"^(?P<name>[^:\s][^:]{0,40}?)\s*:\s+(?P<rest>\S.*)$", re.DOTALL)
_TEAM_WORD = re.compile(
    r"\b(?:team|squad|crew|group|guild|ops|devops|sre|oncall|on-call|eng|engineering)$", re.I
)
# A word that is a topic, not a name: "Monitoring:", "Documentation:", "Security:".
_TOPIC_END = re.compile(r"(?:ing|tion|sion|ment|ance|ence|ity|ness|ure|ics|ogy|ed|s)$", re.I)
# Words that start sentences, not names: "We will …", "Nobody to use the token", "Leads to".
_COMMON = frozenset(
    {"we", "they", "i", "you", "he", "she", "it", "this", "that", "these", "those", "there",
     "someone", "somebody", "everyone", "everybody", "nobody", "anyone", "all", "each",
     "both", "one", "who", "what", "how", "need", "needs", "leads", "plan", "plans", "team",
     "teams", "engineering", "management", "customers", "users", "owners", "also", "then",
     "next", "today", "tomorrow", "later", "failure", "going", "time", "work", "make",
     "note", "goal", "aim", "consider", "remember", "try", "decide", "ensure"}
)  # fmt: skip
# Common imperative verbs that open an action ("Storage: rotate the keys").
_VERBS = frozenset(
    """add adjust alert allow analyse analyze archive ask audit automate avoid backfill
    block build bump call change check clarify clean close communicate configure confirm
    consolidate contact coordinate create decommission define delete deploy deprecate
    describe design detect disable document draft drop enable enforce engage ensure
    escalate establish evaluate expand expose extend figure find fix follow gather get
    hire implement improve increase inform install instrument integrate introduce
    investigate keep limit log look make measure meet merge migrate monitor move notify
    onboard open patch pin plan prepare present prevent prioritise prioritize profile
    provide publish raise rate reach reduce refactor release remove rename repair
    replace report require research restore restrict retire review revisit revoke
    rewrite rollout rotate run schedule scope send separate set share ship simplify
    speak spike split standardise standardize start stop subscribe switch sync tag talk
    test track train triage tune turn update upgrade validate verify write""".split()  # noqa: SIM905
)


_NOT_OWNER = _COMMON | _VERBS | frozenset(
    {"urgent", "important", "optional", "blocked", "done", "ongoing", "pending", "critical",
     "high", "medium", "low", "later", "soon", "asap", "tbd", "open", "closed", "maybe"}
)  # fmt: skip


def owner_value(text: str) -> str | None:
    """An owner cell or annotation as owners ("@ana, @ops" → "ana, ops"); None for nobody."""
    names: list[str] = []
    if plain_text(text).strip().casefold() in _NOBODY:
        return None
    for part in _SEPARATORS.split(plain_text(text)):
        name = part.strip().strip(".").lstrip("@").strip()
        if name.casefold() not in _NOBODY and name not in names:
            names.append(name)
    return ", ".join(names) or None


def find_owner(text: str) -> str | None:
    """The owner annotated anywhere in an item's text, or None."""
    if not may_name_owner(text) or not _OWNER_HINT.search(text):
        return None
    for pattern in _ANNOTATION:
        match = pattern.search(text)
        if match:
            value = owner_value(_names_only(match.group(1)))
            if value:
                return value
    tail = _TAIL_NAME.search(text)  # "Document the sizing — Li"
    if tail and not any(w.casefold() in _NOT_OWNER for w in tail[1].split()):
        return tail[1]
    return None


def may_name_owner(text: str) -> bool:
    """False when `_OWNER_HINT` cannot match `text` (a quick test before it)."""
    if any(mark in text for mark in _OWNER_MARKS):
        return True
    lowered = text.lower()
    return any(piece in lowered for piece in _OWNER_PIECES)


def _names_only(text: str) -> str:
    """The leading run of names of an annotation ("@ana, P1, due Nov 15" → "@ana")."""
    kept = []
    for part in _SEPARATORS.split(text):
        word = part.strip()
        first = word.split(maxsplit=1)[0] if word else ""
        if not word or _NOT_A_NAME.match(first) or not _ONE_OWNER.fullmatch(word):
            break
        kept.append(word)
    return ", ".join(kept)


_PLEDGE = re.compile(
    r"^(?:we|i)\s+(?:will|shall|should|must|need\s+to|are\s+going\s+to|plan\s+to|intend\s+to)"
    r"\s+(?:also\s+|then\s+|now\s+)?(?P<rest>\S.*)$|^(?:we|i)['’]ll\s+(?:also\s+)?(?P<short>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)


def without_pledge(head: str) -> str:
    """An item written as a pledge, as its action: "We will also review the configs" →
    "Review the configs". Only before a verb ("We will be careful" stays as written)."""
    match = _PLEDGE.match(head.lstrip())
    rest = (match["rest"] or match["short"]) if match else None
    if rest is None or _first_word(rest) not in _VERBS:
        return head
    return capitalised(rest)


def team_name(heading: str) -> str | None:
    """The team a sub-heading of an action section names ("Platform team", "SRE",
    "Payments Squad"): capitalised words ending with a team word, four at most."""
    words = plain_text(heading).strip().rstrip(":").split()
    if not 0 < len(words) <= 4 or not _TEAM_WORD.search(words[-1]):
        return None
    names = words[:-1] if words[-1].islower() else words
    if not all(w[:1].isupper() and w.casefold() not in _COMMON for w in names):
        return None
    return " ".join(words)


def lead_owner(head: str) -> tuple[str | None, str]:
    """(owner, the rest) for an item opening with who owns it; (None, head) otherwise."""
    text = head.strip()
    start = text[:48]
    hint = ":" in start or "(" in start or " to " in start or " will " in start
    if not (hint or text[:1] in "@["):
        return None, head  # no lead can be there: most items
    for read in (_todo_lead, _handle_lead, _bracket_lead, _label_lead, _name_lead):
        owner, rest = read(text)
        if owner:
            return owner, rest
    return None, head


def _todo_lead(text: str) -> tuple[str | None, str]:
    match = _TODO.match(text)
    return (owner_value(match[1]), match["rest"]) if match else (None, text)


def _handle_lead(text: str) -> tuple[str | None, str]:
    match = _HANDLE_LEAD.match(text)
    return (owner_value(match[1]), match["rest"]) if match else (None, text)


def _bracket_lead(text: str) -> tuple[str | None, str]:
    match = _BRACKET_LEAD.match(text)
    if not match or not _is_owner_name(match["name"], match["rest"], bracketed=True):
        return None, text
    return owner_value(match["name"]), match["rest"]


def _label_lead(text: str) -> tuple[str | None, str]:
    match = _LABEL_LEAD.match(text)
    if not match or match["name"].startswith(("**", "__")):
        return None, text  # "**Runbook**: document …": a bold label names the item
    if not _is_owner_name(match["name"], match["rest"], bracketed=False):
        return None, text
    return owner_value(match["name"]), match["rest"]


def _name_lead(text: str) -> tuple[str | None, str]:
    match = _NAME_LEAD.match(text)
    words = match["name"].casefold().split() if match else []
    if not match or any(w in _COMMON or w in _VERBS for w in words):
        return None, text  # "We will …", "Add Werror to fail builds"
    if _first_word(match["rest"]) not in _VERBS:
        return None, text  # "Code will be tested": not someone doing something
    if _TOPIC_END.search(match["name"]) and not match["name"].endswith(("ss", "is", "us")):
        return None, text  # "Leads to …", "Engineers should …"
    return match["name"], match["rest"]


def _is_owner_name(name: str, rest: str, bracketed: bool) -> bool:
    """Whether a lead "[name]" or "name:" names who owns the item rather than the item."""
    words = plain_text(name).split()
    if not words or len(words) > 3 or not any(c.isalpha() for c in name):
        return False
    if all(w.startswith("@") for w in re.split(r"[,&\s]+", name.strip()) if w):
        return True
    if _TEAM_WORD.search(name.strip()):
        return True
    if len(words) != 1 or words[0].casefold() in _COMMON or _TOPIC_END.search(words[0]):
        return False
    if re.fullmatch(r"(?i)p[0-4]|x|done|wip|todo|open|closed|high|medium|low|\d+", words[0]):
        return False
    return bracketed or _first_word(rest) in _VERBS


def opens_with_verb(text: str) -> bool:
    """Whether `text` opens with a common imperative verb ("Add …", "Rotate …")."""
    return _first_word(plain_text(text)) in _VERBS


def _first_word(text: str) -> str:
    words = text.split(maxsplit=1)
    return words[0].strip("*_`,.:").casefold() if words else ""


_ORG_SUFFIX = re.compile(
    r"\S,?\s+(?:labs?|inc|incorporated|llc|ltd|limited|gmbh|ag|sa|bv|corp|corporation|company|co"
    r"|foundation|technologies|cooperative|co-op|plc|pty)\.?$",
    re.IGNORECASE,
)
_AUTHORS_LINE = re.compile(
    r"^\W*(?:authors?|organi[sz]ations?|compan(?:y|ies)|written\s+by|prepared\s+by)\W*:\s*(.+)$",
    re.IGNORECASE,
)
_HEADER_LINES = 40  # where a postmortem names its authors


def organisations_of(lines: list[str]) -> frozenset[str]:
    """The organisations a postmortem names among its authors (casefolded): every name of
    an Authors / Organisations line near its top that lists at least one company."""
    found: set[str] = set()
    for line in lines[:_HEADER_LINES]:
        match = _AUTHORS_LINE.match(line) if ":" in line else None
        if match is None:
            continue
        names = [n.strip(" .*_'\"") for n in _SEPARATORS.split(plain_text(match[1]))]
        if any(_ORG_SUFFIX.search(name) for name in names):
            found.update(name.casefold() for name in names if name)
    return frozenset(found)


def is_organisation(name: str, organisations: frozenset[str] = frozenset()) -> bool:
    """Whether a lead phrase's name is an organisation, not a person or team."""
    return name.casefold() in organisations or bool(_ORG_SUFFIX.search(name.strip()))
