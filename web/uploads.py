"""Files chosen in a portal form (new ticket, reply): checked by content before anything is stored.

Seed 002: at most 5 files a message, 500 KB each, of the listed types (services/attachments checks
by content, not by name). A refusal becomes a readable message next to the form's "Attachments"
field, in the reader's language; only when every file passes are they stored, and their ids go to
the service call like an API client's would.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile

from domain.attachment_types import MAX_ATTACHMENT_BYTES, allowed_extensions
from services import attachments
from services.attachment_refs import MAX_ATTACHMENTS_PER_MESSAGE
from services.context import Context
from web.forms import FormState
from web.i18n import N_, translate

FIELD = "attachments"
# Five files of 500 KB plus the form's text: the body cap of portal requests (see web/mount.py).
MAX_FORM_BYTES = MAX_ATTACHMENTS_PER_MESSAGE * MAX_ATTACHMENT_BYTES + 512 * 1024
TOO_MANY = N_("Attach at most %(count)s files to one message.")
TOO_LARGE = N_("%(name)s is larger than 500 KB. Attach a smaller file, or split or compress it.")
WRONG_TYPE = N_("%(name)s is not a file type we accept. Accepted types: %(types)s.")
EMPTY = N_("%(name)s is empty.")


@dataclass(frozen=True)
class ChosenFile:
    filename: str
    data: bytes


async def chosen_files(form: FormData) -> list[ChosenFile]:
    """The files of the form's "attachments" input (browsers send an empty part when none is chosen)."""
    files = []
    for item in form.getlist(FIELD):
        if isinstance(item, UploadFile) and item.filename:
            name = item.filename.replace("\\", "/").rsplit("/", 1)[-1]
            files.append(ChosenFile(name, await item.read(MAX_ATTACHMENT_BYTES + 1)))
    return files


def check_files(form: FormState, files: list[ChosenFile], locale: str) -> None:
    """Refuse the first problem with the files, in words the person can act on."""
    if len(files) > MAX_ATTACHMENTS_PER_MESSAGE:
        _refuse(form, locale, TOO_MANY, count=str(MAX_ATTACHMENTS_PER_MESSAGE))
        return
    for chosen in files:
        if not chosen.data:
            _refuse(form, locale, EMPTY, name=chosen.filename)
        elif len(chosen.data) > MAX_ATTACHMENT_BYTES:
            _refuse(form, locale, TOO_LARGE, name=chosen.filename)
        else:
            try:
                attachments.check(chosen.filename, chosen.data)
            except attachments.AttachmentRejected:
                types = ", ".join(ext.upper() for ext in allowed_extensions())
                _refuse(form, locale, WRONG_TYPE, name=chosen.filename, types=types)
        if not form.ok:
            return


async def store_files(context: Context, files: list[ChosenFile]) -> list[str]:
    """Store files that passed `check_files`; their ids, in the order chosen."""
    return [str((await attachments.upload(context, f.filename, f.data))["id"]) for f in files]


def _refuse(form: FormState, locale: str, message: str, **values: str) -> None:
    # Stored already translated; "%" doubled because templates format every message once more.
    text = translate(locale, message) % values
    form.refuse(FIELD, text.replace("%", "%%"))
