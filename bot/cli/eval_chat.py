"""Chat evaluation on citizen_eval-format cases: answer accuracy, escalation recall/precision, refusals, crashes."""

from __future__ import annotations

import itertools
import json
import re
import statistics
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.index import UNUSABLE_INDEX
from bot.core import texts
from bot.core.models import Channel, IncomingMessage, Reply, ReplyKind

DEFAULT_MAX_CHARS = 2000  # Zalo's limit, the stricter channel
_LEADING_ZERO = re.compile(r"(?<![\d.,])0+(?=\d)")
_SPACE = re.compile(r"\s+")
_EMERGENCY_NUMBER = re.compile(r"(?<!\d)(113|111|115)(?!\d)")


def normalise(text: str) -> str:
    """NFC, leading zeros dropped ('06 tháng' -> '6 tháng'), one space, case folded."""
    text = unicodedata.normalize("NFC", text or "")
    return _SPACE.sub(" ", _LEADING_ZERO.sub("", text)).strip().casefold()


def is_urgent(case: dict[str, Any]) -> bool:
    """An escalation that needs emergency numbers too: citizen_eval marks it in the note ("URGENT"); files
    by other hands may give the kind "urgent"."""
    return case.get("kind") == "urgent" or (case.get("kind") == "escalate" and "URGENT" in str(case.get("note") or ""))


def shows_emergency_numbers(reply: Reply) -> bool:
    return reply.kind == ReplyKind.ESCALATED and bool(_EMERGENCY_NUMBER.search(reply.text))


def load_cases(path: Path | str) -> list[dict[str, Any]]:
    """citizen_eval cases; Zalo-format questions mapped to pháp điển become answer cases (the
    article alone decides: they carry no expected wording)."""
    cases = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            record = json.loads(line)
            if "kind" not in record and "phapdien_gold_ids" in record:
                if record.get("phapdien_mapping") != "full":
                    continue
                record = {"id": record.get("qid"), "kind": "answer", "text": record["question"],
                          "gold_ids": record["phapdien_gold_ids"], "must_contain_any": []}
            cases.append(record)
    return cases


def _ids_of(assistant: Any, article_id: str) -> set[str]:
    aliases = getattr(assistant.retriever, "aliases", None)
    return {article_id, *(aliases(article_id) if aliases else ())}


def _cited_ids(assistant: Any, reply: Reply) -> set[str]:
    """Every id the reply's citations answer to (an article and its identical copies)."""
    return set().union(*[_ids_of(assistant, c.article_id) for c in reply.citations])


def answer_correct(assistant: Any, case: dict[str, Any], reply: Reply) -> bool:
    gold = set(case.get("gold_ids") or [])
    cited = _cited_ids(assistant, reply)
    text = normalise(reply.text)
    wording = case.get("must_contain_any") or []
    return bool(gold & cited) and (not wording or any(normalise(f) in text for f in wording))


def confident_wrong(assistant: Any, case: dict[str, Any], reply: Reply) -> bool:
    """An answer given as sure (not the "not sure" list) that cites none of the case's gold articles."""
    gold = set(case.get("gold_ids") or [])
    if not gold or reply.kind != ReplyKind.ANSWER or reply.low_confidence:
        return False
    return not (gold & _cited_ids(assistant, reply))


_RUNS = itertools.count()


def run_chat_eval(assistant: Any, cases: Iterable[dict[str, Any]], max_chars: int = DEFAULT_MAX_CHARS,
                  details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Run every case as the first message of a fresh chat; return the metrics."""
    cases = list(cases)
    run = next(_RUNS)
    counts = {"answer": 0, "answer_ok": 0, "escalate": 0, "escalated_ok": 0, "escalated": 0,
              "out_of_scope": 0, "refused_ok": 0, "crashes": 0, "outside_index": 0, "low_conf_ok": 0,
              "faq_ok": 0, "over_limit": 0, "confident_wrong": 0, "sure_ok": 0, "urgent": 0, "urgent_numbers": 0}
    conversations = [c for c in cases if isinstance(c.get("turns"), list)]
    cases = [c for c in cases if not isinstance(c.get("turns"), list)]
    times: list[float] = []
    for i, case in enumerate(cases):
        urgent = is_urgent(case)
        kind = "escalate" if urgent else case.get("kind")
        # a chat of its own per case and per run: two files played by one assistant never share a chat
        chat = f"eval-{run}-{i}"
        msg = IncomingMessage(Channel.CLI, chat, chat, case.get("text") or "", f"m{run}-{i}")
        before = getattr(assistant, "failures", 0)
        t0 = time.perf_counter()
        try:
            reply = assistant.handle(msg, max_chars)
        except Exception:
            counts["crashes"] += 1
            continue
        times.append(time.perf_counter() - t0)
        if getattr(assistant, "failures", 0) > before:
            counts["crashes"] += 1
        if len(reply.text) > max_chars:
            counts["over_limit"] += 1
        for c in reply.citations:
            if assistant.retriever.get(c.article_id) is None:
                counts["outside_index"] += 1
        ok = None
        if kind == "answer":
            counts["answer"] += 1
            ok = answer_correct(assistant, case, reply)
            counts["answer_ok"] += ok
            counts["low_conf_ok"] += ok and reply.low_confidence
            counts["sure_ok"] += ok and not reply.low_confidence
            counts["faq_ok"] += ok and f"\n{texts.FAQ_SOURCES}\n" in reply.text  # the FAQ reply's sources header
            # the failure that hurts: a confident answer whose citations miss every gold article
            counts["confident_wrong"] += confident_wrong(assistant, case, reply)
        elif kind == "escalate":
            counts["escalate"] += 1
            ok = reply.kind == ReplyKind.ESCALATED
            counts["escalated_ok"] += ok
            if urgent:  # escalated is not enough: the emergency numbers come with it
                counts["urgent"] += 1
                counts["urgent_numbers"] += shows_emergency_numbers(reply)
        elif kind == "out_of_scope":
            counts["out_of_scope"] += 1
            ok = reply.kind == ReplyKind.REFUSED
            counts["refused_ok"] += ok
        if reply.kind == ReplyKind.ESCALATED:
            counts["escalated"] += 1
        if details is not None:
            details.append({"id": case.get("id"), "kind": kind, "ok": ok, "reply_kind": reply.kind.value,
                            "low_confidence": reply.low_confidence, "confidence": reply.confidence,
                            "citations": [c.article_id for c in reply.citations], "gold": case.get("gold_ids"),
                            "text": reply.text})

    def ratio(a: int, b: int) -> float:
        return round(a / b, 4) if b else 0.0

    ms = sorted(t * 1000 for t in times)
    metrics = {
        "answer_acc": ratio(counts["answer_ok"], counts["answer"]),
        "answer_sure_acc": ratio(counts["sure_ok"], counts["answer"]),
        "escalation_recall": ratio(counts["escalated_ok"], counts["escalate"]),
        "escalation_precision": ratio(counts["escalated_ok"], counts["escalated"]),
        "refusal_rate": ratio(counts["refused_ok"], counts["out_of_scope"]),
        "urgent_with_numbers": ratio(counts["urgent_numbers"], counts["urgent"]),
        "crashes": counts["crashes"],
        "n": len(cases),
        "citations_outside_index": counts["outside_index"],
        "answers_correct_via_low_confidence": counts["low_conf_ok"],
        "answers_correct_via_faq": counts["faq_ok"],
        "confident_wrong_answers": counts["confident_wrong"],
        "replies_over_limit": counts["over_limit"],
        "p50_ms": round(statistics.median(ms), 1) if ms else 0.0,
        "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1) if ms else 0.0,
    }
    if conversations:
        metrics.update(run_conversations(assistant, conversations, max_chars, details))
    return metrics


def turn_correct(assistant: Any, turn: dict[str, Any], reply: Reply) -> bool:
    """One turn of a conversation, judged by its kind."""
    kind = turn.get("kind")
    if kind == "answer":
        return answer_correct(assistant, turn, reply)
    if kind == "escalate":
        return reply.kind == ReplyKind.ESCALATED
    if kind == "out_of_scope":
        return reply.kind == ReplyKind.REFUSED
    if kind == "followup_info":  # added to the open ticket for staff, not answered as a new question
        return reply.ticket_id is not None and reply.kind in (ReplyKind.INFO, ReplyKind.ESCALATED)
    return reply.kind != ReplyKind.ANSWER or bool(reply.citations)


def run_conversations(assistant: Any, conversations: list[dict[str, Any]], max_chars: int = DEFAULT_MAX_CHARS,
                      details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Play each conversation in its own chat; score every turn (`turn_acc`) and the turns after the first."""
    ok_all = total = ok_follow = follow = crashes = 0
    for n, conv in enumerate(conversations):
        # the conversation's own id in the chat's name: two files played by one assistant never share a chat
        # (nor its open ticket)
        chat = f"conv-{n}-{conv.get('id')}"
        for i, turn in enumerate(conv.get("turns") or []):
            msg = IncomingMessage(Channel.CLI, chat, chat, str(turn.get("text") or ""), f"c{n}-{i}")
            before = getattr(assistant, "failures", 0)
            try:
                reply = assistant.handle(msg, max_chars)
            except Exception:
                crashes += 1
                continue
            crashes += getattr(assistant, "failures", 0) > before
            ok = turn_correct(assistant, turn, reply)
            total += 1
            ok_all += ok
            if i > 0:
                follow += 1
                ok_follow += ok
            if details is not None:
                details.append({"id": f"{conv.get('id')}#{i}", "kind": turn.get("kind"), "ok": ok,
                                "reply_kind": reply.kind.value, "low_confidence": reply.low_confidence,
                                "confidence": reply.confidence, "citations": [c.article_id for c in reply.citations],
                                "gold": turn.get("gold_ids"), "text": reply.text})
    return {"conversations": len(conversations), "turns": total,
            "turn_acc": round(ok_all / total, 4) if total else 0.0,
            "followup_turn_acc": round(ok_follow / follow, 4) if follow else 0.0,
            "conversation_crashes": crashes}


def confidence_points(assistant: Any, cases: Iterable[dict[str, Any]]) -> list[tuple[float, bool]]:
    """For each answer case: the confidence `rerank` gives the retrieved articles, and whether a gold
    article is among the ones the answer would cite."""
    from bot.core.clean import clean_message, legal_terms
    from bot.core.ranking import rerank

    points: list[tuple[float, bool]] = []
    k = assistant.config.cite_k
    for case in cases:
        if case.get("kind") != "answer":
            continue
        cleaned = clean_message(case.get("text") or "")
        question = " ".join([cleaned.text, *legal_terms(cleaned.text)])
        ranked, conf = rerank(question, assistant.retriever.search(cleaned.query, assistant.config.top_k))
        gold = set(case.get("gold_ids") or [])
        ok = any(_ids_of(assistant, p.article_id) & gold for p in ranked[:k])
        points.append((conf, ok))
    return points


def calibrate_answer_threshold(assistant: Any, cases: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Pick `answer_threshold` from the retrieval confidence of correct vs incorrect answers on labelled cases.

    For each answer case: the confidence `rerank` gives the retrieved articles, and whether a gold
    article is among the ones the answer would cite. The threshold maximises balanced accuracy of
    "confident <=> correct" (the FAQ path is ignored: it has its own threshold).
    """
    points = confidence_points(assistant, cases)
    n_ok = sum(1 for _, ok in points if ok) or 1
    n_bad = sum(1 for _, ok in points if not ok) or 1
    best = (0.0, 0.5)
    for t in [i / 100 for i in range(0, 101, 2)]:
        tpr = sum(1 for c, ok in points if ok and c >= t) / n_ok
        tnr = sum(1 for c, ok in points if not ok and c < t) / n_bad
        if (tpr + tnr) / 2 > best[0]:
            best = ((tpr + tnr) / 2, t)
    return {"threshold": best[1], "balanced_accuracy": round(best[0], 3), "n": len(points),
            "correct_share": round(n_ok / max(1, len(points)), 3)}


def eval_settings(index: Path | str | None = None, faq_dir: Path | str | None = None, **overrides: Any) -> Any:
    """The settings `serve` would read (LAWBOT_* environment, .env), with the index and FAQ folder given."""
    from bot.settings import Settings

    values: dict[str, Any] = dict(overrides)
    if index is not None:
        values["index_dir"] = Path(index)
    if faq_dir is not None:
        values["faq_dir"] = Path(faq_dir)
    return Settings(**values)  # type: ignore[call-arg]


def build_assistant(index: Path | str | None = None, faq_dir: Path | str | None = None, *,
                    settings: Any | None = None) -> Any:
    """The assistant `serve` runs (bot.compose.assemble: register, FAQ by meaning, triage model, writer,
    thresholds from the settings) over in-memory conversation and ticket stores."""
    from bot.adapters.memory import InMemoryConversationStore, InMemoryTicketStore
    from bot.compose import Parts, assemble
    from retrieval.index import load_index

    settings = settings or eval_settings(index, faq_dir)
    parts = Parts(settings)
    embedder = parts.index_embedder()
    loaded = load_index(settings.index_dir, expected_embedder_id=embedder.id if embedder is not None else None,
                        embedder=embedder, dense=embedder is not None)
    return assemble(settings, loaded, InMemoryConversationStore(), InMemoryTicketStore(), parts,
                    warm_in_background=False)


def eval_chat(
    cases: Annotated[Path, typer.Option("--cases", help="citizen_eval-format JSONL file.", exists=True,
                                        dir_okay=False, readable=True)],
    index: Annotated[Path | None, typer.Option("--index", help="Index directory (default: LAWBOT_INDEX_DIR).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="End with one JSON object of the metrics.")] = False,
    faq_dir: Annotated[Path, typer.Option("--faq-dir", help="FAQ YAML folder.")] = Path("knowledge_base/faq"),
    max_chars: Annotated[int, typer.Option("--max-chars", help="Reply limit (Zalo 2000, Telegram 4096).")] = DEFAULT_MAX_CHARS,
    verbose: Annotated[bool, typer.Option("--verbose", help="Print every case that failed.")] = False,
) -> None:
    """Run chat cases through the assistant and print answer accuracy, escalation recall/precision, refusals, crashes."""
    if index is None:
        from bot.settings import Settings

        index = Settings().index_dir  # type: ignore[call-arg]
    try:
        assistant = build_assistant(index, faq_dir)
    except UNUSABLE_INDEX as exc:
        typer.echo(f"No usable index: {exc}", err=True)
        raise typer.Exit(1) from None
    details: list[dict[str, Any]] = []
    metrics = run_chat_eval(assistant, load_cases(cases), max_chars, details)
    if verbose:
        for d in details:
            if d["ok"] is False:
                typer.echo(f"FAIL {d['id']} {d['kind']} -> {d['reply_kind']} cites={d['citations'][:4]} gold={d['gold']}")
    if not json_:
        for key, value in metrics.items():
            typer.echo(f"{key}: {value}")
    typer.echo(json.dumps(metrics, ensure_ascii=False) if json_ else "")


if __name__ == "__main__":  # python -m bot.cli.eval_chat --cases ... --index ...
    typer.run(eval_chat)
