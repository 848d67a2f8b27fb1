"""Import every model so the metadata (and Alembic autogenerate) sees all tables."""
from forum.auth.models import ApiToken, User  # noqa: F401
from forum.blogs.models import Attachment, Blog, Comment, Entry, EntryTag, GuestbookMessage  # noqa: F401
from forum.boards.models import Board, LessonPrep, Post, PrepParticipant, Theme, Thread, ThreadTag  # noqa: F401
from forum.core.revisions import Revision  # noqa: F401
from forum.core.submissions import Submission  # noqa: F401
from forum.ledger.models import Contribution  # noqa: F401
from forum.moderation.models import AuditLog, Flag  # noqa: F401
from forum.notifications.models import Notification  # noqa: F401
from forum.org.models import Cluster, Group, Membership, School  # noqa: F401
from forum.search.models import SearchOutbox  # noqa: F401
from forum.tallies.models import Bulletin, Target  # noqa: F401
