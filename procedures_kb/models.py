"""SQLAlchemy models of the procedure knowledge base and the demo case register.

Written for SQLAlchemy 1.4 (pinned by Rasa 3.6) in its 2.0 style, so the same models serve the
embedded SQLite default and PostgreSQL in production.
"""
from __future__ import annotations

from sqlalchemy import Column, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base, declared_attr, relationship

Base = declarative_base()

CHANNELS = ("in_person", "online", "post")
CHANNEL_LABELS = {"in_person": "Trực tiếp", "online": "Trực tuyến", "post": "Dịch vụ bưu chính"}
CASE_STATUSES = ("received", "processing", "needs_supplement", "ready", "returned", "overdue")


class Procedure(Base):
    __tablename__ = "procedures"

    id = Column(Integer, primary_key=True)
    code = Column(String(32), nullable=False, unique=True, index=True)
    name = Column(Text, nullable=False)
    field = Column(String(255), nullable=False)
    levels = Column(String(255), nullable=False)  # "Cấp xã; Cấp tỉnh"
    applicants = Column(Text)
    summary = Column(Text)
    result = Column(Text)
    source_url = Column(Text, nullable=False)
    checked_on = Column(Date)
    origin = Column(String(16), nullable=False, default="curated")  # curated | portal

    aliases = relationship("Alias", cascade="all, delete-orphan", order_by="Alias.id")
    agencies = relationship("Agency", cascade="all, delete-orphan", order_by="Agency.id")
    documents = relationship("Document", cascade="all, delete-orphan", order_by="Document.position")
    channels = relationship("Channel", cascade="all, delete-orphan", order_by="Channel.id")
    steps = relationship("Step", cascade="all, delete-orphan", order_by="Step.position")
    conditions = relationship("Condition", cascade="all, delete-orphan", order_by="Condition.position")
    legal_bases = relationship("LegalBasis", cascade="all, delete-orphan", order_by="LegalBasis.position")
    corrections = relationship("Correction", cascade="all, delete-orphan", order_by="Correction.id")


class Alias(Base):
    __tablename__ = "aliases"

    id = Column(Integer, primary_key=True)
    procedure_id = Column(ForeignKey("procedures.id", ondelete="CASCADE"), nullable=False, index=True)
    text = Column(Text, nullable=False)
    key = Column(Text, nullable=False, index=True)  # bot.text.match_key(text)


class Agency(Base):
    __tablename__ = "agencies"

    id = Column(Integer, primary_key=True)
    procedure_id = Column(ForeignKey("procedures.id", ondelete="CASCADE"), nullable=False, index=True)
    role = Column(String(32), nullable=False)
    name = Column(Text, nullable=False)


class Document(Base):
    __tablename__ = "documents"

    id = Column(Integer, primary_key=True)
    procedure_id = Column(ForeignKey("procedures.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    name = Column(Text, nullable=False)
    form = Column(Text)
    originals = Column(Integer, nullable=False, default=0)
    copies = Column(Integer, nullable=False, default=0)
    kind = Column(String(16), nullable=False, default="submit")  # submit | present
    case = Column(Text)


class Channel(Base):
    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("procedure_id", "channel"),)

    id = Column(Integer, primary_key=True)
    procedure_id = Column(ForeignKey("procedures.id", ondelete="CASCADE"), nullable=False, index=True)
    channel = Column(String(16), nullable=False)  # in_person | online | post
    time_value = Column(Float)
    time_unit = Column(String(32))
    time_note = Column(Text)

    fees = relationship("Fee", cascade="all, delete-orphan", order_by="Fee.id")


class Fee(Base):
    __tablename__ = "fees"

    id = Column(Integer, primary_key=True)
    channel_id = Column(ForeignKey("channels.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(32), nullable=False)
    amount = Column(Integer)  # VND; NULL = no number stated (e.g. set by the province)
    currency = Column(String(8), nullable=False, default="VND")
    description = Column(Text)
    exemptions = Column(Text)


class _OrderedText:
    """A numbered sentence of a procedure (a step, a condition)."""

    id = Column(Integer, primary_key=True)
    position = Column(Integer, nullable=False)
    text = Column(Text, nullable=False)

    @declared_attr
    def procedure_id(cls):
        return Column(ForeignKey("procedures.id", ondelete="CASCADE"), nullable=False, index=True)


class Step(_OrderedText, Base):
    __tablename__ = "steps"


class Condition(_OrderedText, Base):
    __tablename__ = "conditions"


class LegalBasis(Base):
    __tablename__ = "legal_bases"

    id = Column(Integer, primary_key=True)
    procedure_id = Column(ForeignKey("procedures.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    number = Column(String(64), nullable=False)
    title = Column(Text)


class Correction(Base):
    __tablename__ = "corrections"

    id = Column(Integer, primary_key=True)
    procedure_id = Column(ForeignKey("procedures.id", ondelete="CASCADE"), nullable=False, index=True)
    text = Column(Text, nullable=False)


class Case(Base):
    """A submitted case (hồ sơ) as the one-stop office's register shows it."""

    __tablename__ = "cases"

    id = Column(Integer, primary_key=True)
    code = Column(String(40), nullable=False, unique=True, index=True)
    procedure_code = Column(String(32), nullable=False)
    status = Column(String(24), nullable=False)
    received_on = Column(Date, nullable=False)
    appointment_on = Column(Date)
    returned_on = Column(Date)
    agency = Column(Text, nullable=False)
    note = Column(Text)


class Meta(Base):
    """Facts about the build itself (which data it came from, when)."""

    __tablename__ = "kb_meta"

    key = Column(String(64), primary_key=True)
    value = Column(Text, nullable=False)
