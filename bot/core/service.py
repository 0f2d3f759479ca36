"""The assistant's one entry point: loads the conversation, runs the dialogue policy, records the turn; never raises."""

from __future__ import annotations

import dataclasses
import logging
import uuid

from bot.core import texts
from bot.core.answering import Answering
from bot.core.config import AssistantConfig
from bot.core.dialogue import Dialogue, command_of
from bot.core.escalation import Escalation
from bot.core.models import ButtonAction, Channel, IncomingMessage, Passage, Reply, ReplyKind
from bot.core.pii import mask_pii
from bot.core.places import PlaceDialogue
from bot.core.ports import (
    AnswerWriter,
    ConversationState,
    ConversationStore,
    FaqSearch,
    IntentModel,
    PlaceDirectory,
    Retriever,
    TicketStore,
)
from bot.core.quiz import QuizPolicy
from bot.core.replies import error_reply, fill, join_fitting
from bot.core.subscriptions import Subscriptions

__all__ = ["Assistant", "command_of"]

log = logging.getLogger(__name__)


class Assistant:
    """The domain core: `handle` a message, `handle_button` a button press; never raises.

    A thin facade over three policies: `Dialogue` (what a message is, commands, consent, feedback),
    `Answering` (FAQ, law text, "not sure") and `Escalation` (tickets, emergency numbers)."""

    def __init__(
        self,
        retriever: Retriever,
        faq: FaqSearch | None,
        writer: AnswerWriter,
        conversations: ConversationStore,
        tickets: TicketStore,
        config: AssistantConfig | None = None,
        intent: IntentModel | None = None,
        quizzes: QuizPolicy | None = None,
        places: PlaceDirectory | None = None,
        subscriptions: Subscriptions | None = None,
    ) -> None:
        self.retriever = retriever
        self.intent = intent
        self.faq = faq
        self.writer = writer
        self.conversations = conversations
        self.tickets = tickets
        self.config = config or AssistantConfig()
        self.failures = 0  # turns that ended in the polite error reply (evaluation counts them)
        self.answering = Answering(retriever, faq, writer, self.config)
        # the citizen's commune: asked when a case goes to a person, routes the ticket, offers mediation
        self.places = PlaceDialogue(places, lambda template, **extra: fill(self.config, template, **extra))
        self.escalation = Escalation(retriever, writer, tickets, self.config, self.places)
        self.dialogue = Dialogue(conversations, self.answering, self.escalation, self.config, intent, quizzes,
                                 self.places, subscriptions)

    def handle(self, msg: IncomingMessage, max_chars: int) -> Reply:
        """Answer one citizen message (sync: channels call it in a worker thread).

        Storage failures (load/record) propagate on purpose: the channel's inbox then retries the
        update, so an answer is never silently lost. Anything else ends in a polite error reply.
        """
        state = self.conversations.load(msg.channel, msg.user_id, msg.chat_id)
        try:
            reply, state = self.dialogue.respond(msg, state, max_chars)
        except Exception:
            self.failures += 1
            log.exception("assistant failed on a message (channel=%s, length=%d)", msg.channel, len(msg.text or ""))
            reply = error_reply(self.config)
        if len(reply.text) > max_chars:  # fixed texts (help, greeting) on a tiny channel limit
            reply.text = join_fitting([reply.text], max_chars)
        self._record(msg, reply, state)
        if reply.erase_user_data:
            # After the turn is queued: storage delivers the confirmation, then erases it with the rest.
            self.conversations.delete_user_data(msg.channel, msg.user_id)
        return reply

    def handle_button(
        self, channel: Channel, user_id: str, chat_id: str, action: ButtonAction, max_chars: int,
        inbox_id: int | None = None, ref: str | None = None,
    ) -> Reply:
        """A button under an earlier reply: 👍 / 👎 / Gặp cán bộ / consent yes-no / an offered question /
        a quiz option; `ref` is what that reply's button answered (Button.ref), when the channel kept it."""
        msg = IncomingMessage(channel, user_id, chat_id, texts.BUTTON_TURN.get(action.value, action.value),
                              message_id=f"button-{uuid.uuid4().hex[:12]}", inbox_id=inbox_id)
        state = self.conversations.load(channel, user_id, chat_id)
        try:
            reply, state = self.dialogue.button(msg, state, action, max_chars, ref)
        except Exception:
            self.failures += 1
            log.exception("assistant failed on a button (%s)", action.value)
            reply = error_reply(self.config)
        self._record(msg, reply, state)
        return reply

    def protected_user_reply(self) -> Reply:
        """Fixed reply when the platform hides the text (Zalo `message.unsupported.received`)."""
        return Reply(ReplyKind.INFO, fill(self.config, texts.PROTECTED_USER), urgent=False)

    def article(self, article_id: str) -> Passage | None:
        """An article of the index by id (the staff desk shows sources with it)."""
        return self.escalation.article(article_id)

    def _record(self, msg: IncomingMessage, reply: Reply, state: ConversationState) -> None:
        # personal numbers never reach the database
        safe = dataclasses.replace(msg, text=mask_pii(msg.text or ""))
        self.conversations.record(safe, reply, state)
