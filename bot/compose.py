"""The one place that assembles the assistant (index, FAQ, understanding, writer, stores) from Settings; no web imports."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from bot.adapters.confidence_file import load_confidence_model, load_faq_picker
from bot.core.config import AssistantConfig
from bot.core.ports import ConversationStore, TicketStore
from bot.core.service import Assistant
from bot.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T", covariant=True)  # a Loaded[Assistant] is a Loaded of anything the assistant satisfies


class IncompatibleIndex(RuntimeError):
    """The build was made with a different embedder than the one this server runs."""


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """A loaded index build and what was built on it (e.g. the assistant using it)."""

    build_id: str
    embedder_id: str | None
    value: T


def load_register(settings: Settings) -> dict[str, Any]:
    """The document register (status of each cited document); empty, with a warning, if unreadable."""
    from retrieval.register import RegisterError
    from retrieval.register import load_register as read

    path = settings.documents_register
    if not path.is_file():
        log.warning("no document register at %s: FAQ answers cite indexed articles only", path)
        return {}
    try:
        return dict(read(path))
    except (RegisterError, OSError, ValueError) as exc:
        log.error("document register %s unreadable (%s): FAQ answers cite indexed articles only", path, exc)
        return {}


class Parts:
    """What outlives one index build: the embedders (they load a model) and the register."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.register = load_register(settings)
        self._index_embedder: list[Any] = []
        self._vectors: list[Any] = []

    def index_embedder(self) -> Any:
        """The embedder the law index was built with (None for a BM25-only index)."""
        from retrieval.embed import make_embedder

        if not self._index_embedder:
            self._index_embedder.append(make_embedder(self.settings.embedder))
        return self._index_embedder[0]

    def vectors(self) -> Any:
        """Sentence vectors for FAQ matching and triage (None: lexical FAQ and rule triage only)."""
        from bot.adapters.intent import MODEL_DIR
        from bot.adapters.vectors import make_text_vectors
        from retrieval.embed import make_embedder

        if not self._vectors:
            name = self.settings.understanding_embedder
            embedder = None
            if name != "none":
                # one model in memory when the index uses the same one
                same = name == self.settings.embedder
                embedder = self.index_embedder() if same else make_embedder(name)
            self._vectors.append(make_text_vectors(embedder, self.settings.embed_cache, self.settings.faq_dir, MODEL_DIR)
                                 if embedder is not None else None)
        return self._vectors[0]


def assemble(settings: Settings, index: Any, conversations: ConversationStore, tickets: TicketStore,
             parts: Parts | None = None, database: Any | None = None, *, warm_in_background: bool = True) -> Assistant:
    """The assistant citizens talk to, over a loaded index; `serve`, the answer processes, `chat`,
    `ask` and `eval chat` all call this, so evaluation measures what is served.

    `warm_in_background`: FAQ questions not yet embedded are embedded in a thread while the FAQ
    answers lexically (a server is up at once); evaluation waits for them instead."""
    from bot.adapters.faq_search import (
        ReloadingFaqSearch,
        YamlFaqSearch,
        answer_sentences,
        load_faq,
    )
    from bot.adapters.intent import load_intent
    from bot.adapters.retriever import IndexRetriever
    from bot.adapters.vectors import Warmer
    from bot.core.writer import ExtractiveWriter

    parts = parts or Parts(settings)
    config = assistant_config(settings)  # the fitted models read once: the FAQ search needs the picker too
    retriever = IndexRetriever(index, register=parts.register)
    vectors = parts.vectors()
    faq = None
    if Path(settings.faq_dir).is_dir() or database is not None:
        # Review state (retired, edited, approved entries) and the entries approved in the desk live in
        # the database, so every worker serves the same FAQ; without a database (evaluation) every
        # shipped entry is served.
        reviews = approved = None
        if database is not None:
            from bot.storage.faq_entries import FaqEntryStore
            from bot.storage.faq_reviews import FaqReviewStore

            reviews, approved = FaqReviewStore(database), FaqEntryStore(database)

        warmer = Warmer(vectors) if vectors is not None and warm_in_background else None
        picker = config.faq_picker
        answers = picker is not None and picker.reads_answers  # embed the answers only when it is read

        def make(folder: Path) -> YamlFaqSearch:
            entries = load_faq(folder)
            if approved is not None:
                from bot.adapters.faq_search import entry_from_yaml, merge_entries

                stored = [entry_from_yaml(r.yaml_entry(), r.topic) for r in approved.all()]
                entries = merge_entries(entries, [e for e in stored if e is not None])
            use = vectors
            questions = [q for e in entries for q in e.questions]
            sentences = [s for e in entries for s in answer_sentences(e.answer)] if answers else []
            if warmer is not None and vectors is not None and not (
                    vectors.cached(questions) and vectors.cached(sentences, "passage")):
                # first start (or many new entries): answer now with words, by meaning once embedded
                warmer.start(questions, sentences)
                use = None
            keep = None
            if database is not None:
                from bot.storage.faq_reviews import faq_serving

                keep = faq_serving(database, entries).keep(settings.faq_reviewed_only)
            return YamlFaqSearch(entries=entries, vectors=use, citation_ok=retriever.resolves, keep=keep,
                                 answers=answers)

        def version() -> object:
            return (
                reviews.version() if reviews is not None else None,
                approved.version() if approved is not None else None,
                warmer.generation if warmer else 0,
            )

        # Reloads itself when a FAQ file changes, staff approve, retire or decide on an entry (in any
        # worker: the version is read from the database) or the FAQ vectors are ready.
        faq = ReloadingFaqSearch(settings.faq_dir, make, version=version)
    writer: Any = ExtractiveWriter(built_at=lambda: retriever.built_at)
    if settings.llm_base_url:
        from bot.adapters.llm_writer import LlmAnswerWriter

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key is not None else None
        writer = LlmAnswerWriter(writer, base_url=settings.llm_base_url, model=settings.llm_model, api_key=key)
    quizzes = places = None
    if database is not None:  # places and quizzes live in the database (evaluation has none)
        from bot.core.quiz import QuizPolicy
        from bot.storage.places import SqlPlaceDirectory
        from bot.storage.quizzes import QuizStore

        places = SqlPlaceDirectory(database)
        # results per commune: an attempt notes the commune the citizen gave (if any)
        quizzes = QuizPolicy(QuizStore(database, commune_of=places.citizen_commune))
    return Assistant(retriever, faq, writer, conversations, tickets, config,
                     intent=load_intent(vectors), quizzes=quizzes, places=places,
                     subscriptions=subscriptions(settings, database))


def subscription_topics(settings: Settings) -> Callable[[], list[Any]]:
    """The FAQ topics citizens subscribe to and bulletins are sent on (`Topic(slug, name)`, re-read on change)."""
    from bot.adapters.faq_topics import FaqTopics

    return FaqTopics(settings.faq_dir)


def subscriptions(settings: Settings, database: Any | None) -> Any:
    """/dangky and /huydangky over the database (None without one: evaluation has no subscribers)."""
    if database is None:
        return None
    from bot.core.subscriptions import Subscriptions
    from bot.storage.subscriptions import SqlSubscriptionStore

    return Subscriptions(SqlSubscriptionStore(database), subscription_topics(settings))


def article_lookup(settings: Settings) -> Callable[[str], Any]:
    """article id -> the article of the index in `settings.index_dir` (or None): what the desk's lookup
    gives, for commands that run without a server (`lawbot bulletin send --cite`). Loads the index once."""
    from bot.adapters.retriever import IndexRetriever
    from retrieval.index import load_index

    loaded: list[Any] = []

    def lookup(article_id: str) -> Any:
        if not loaded:
            index = load_index(settings.index_dir, dense=False)
            loaded.append(IndexRetriever(index, register=load_register(settings)))
        return loaded[0].get(article_id)

    return lookup


def assistant_config(settings: Settings) -> AssistantConfig:
    """Thresholds from the settings; the answer confidence model and, unless set, its fitted thresholds."""
    model = load_confidence_model(Path(settings.confidence_model))
    fitted: dict[str, object] = {"confidence": model, "faq_picker": load_faq_picker(Path(settings.faq_picker_model))}
    if model is not None:
        if settings.answer_threshold is None:
            fitted["answer_threshold"] = model.sure
        if settings.relevance_floor is None:
            fitted["relevance_floor"] = model.floor
    return AssistantConfig.from_settings(settings, **fitted)


def index_engine(
    settings: Settings, database: Any, outbox: Any, *, open_tickets: bool = True
) -> Callable[[str | None], Loaded[Assistant]]:
    """The production loader: the CURRENT index build assembled with the SQL stores (serve, the answer
    processes, `chat` and `ask`); heavy imports are lazy so tests with their own assistant skip them.

    `open_tickets=False` (the terminal, unless asked): escalations are answered as usual but open no
    ticket in the staff queue."""
    from bot.adapters.memory import InMemoryTicketStore, WithoutTicketLinks
    from bot.storage.conversations import SqlConversationStore
    from bot.storage.tickets import SqlTicketStore
    from retrieval.embed import EmbedderMismatch
    from retrieval.index import load_index

    parts = Parts(settings)  # embedders are made once, on first load (in a worker thread): they load a model

    def load(expected_embedder_id: str | None) -> Loaded[Assistant]:
        embedder = parts.index_embedder()
        running = embedder.id if embedder is not None else None
        try:
            index = load_index(
                settings.index_dir,
                expected_embedder_id=running,
                embedder=embedder,
                dense=embedder is not None,
            )
        except EmbedderMismatch as exc:
            raise IncompatibleIndex(str(exc)) from None
        conversations: ConversationStore = SqlConversationStore(database, outbox=outbox)
        tickets: TicketStore = SqlTicketStore(database, outbox=outbox)
        if not open_tickets:
            conversations, tickets = WithoutTicketLinks(conversations), InMemoryTicketStore()
        assistant = assemble(settings, index, conversations, tickets, parts, database)
        return Loaded(index.build_id, running, assistant)

    return load
