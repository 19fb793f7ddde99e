import unicodedata

from django import forms
from django.db import IntegrityError, transaction

from .models import Pony

# Explicit text-direction embeddings, overrides and isolates: U+202E in a name turns the rest
# of a line around ("spoofing"); letters of right-to-left scripts need none of these.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"})


def refuse_direction_controls(value: str) -> None:
    if any(char in BIDI_CONTROLS for char in value):
        raise forms.ValidationError(
            "Remove the text-direction control characters (such as U+202E): they make "
            "text display differently from what it says."
        )


class PonyForm(forms.ModelForm):
    class Meta:
        model = Pony
        fields = ["name", "status", "personality_notes"]
        widgets = {
            "personality_notes": forms.Textarea(attrs={"rows": 4}),
            "status": forms.RadioSelect,
        }
        labels = {"personality_notes": "Personality notes"}
        help_texts = {"personality_notes": "What makes this pony who they are (optional)."}

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        # Zero-width spaces and joiners are not whitespace to str.split(): a name made only
        # of them would show as an empty card.
        if all(unicodedata.category(char) in INVISIBLE_CATEGORIES for char in name):
            raise forms.ValidationError("Every pony needs a name.")
        refuse_direction_controls(name)
        if self._name_taken(name):
            raise forms.ValidationError(self._taken_message(name))
        return name

    def clean_personality_notes(self) -> str:
        notes = self.cleaned_data["personality_notes"]
        refuse_direction_controls(notes)
        return notes

    def validate_constraints(self) -> None:
        """Skip Django's second look at the unique-name constraint: when a concurrent post took
        the name after clean_name checked, it would only say "Constraint … is violated". The
        index enforces it at save, where save_unless_name_taken says it in clean_name's words."""
        try:
            self.instance.validate_constraints(exclude={"name"})
        except forms.ValidationError as error:
            self.add_error(None, error)

    def save_unless_name_taken(self) -> Pony | None:
        """Save, or add the name error and return None when another request took the name.

        clean_name's check and the insert are two steps: two identical posts at the same
        moment (a double click) both pass the check, and the unique index refuses all but
        the first. Those get the same answer as a post that came a moment later.
        """
        try:
            with transaction.atomic():
                return self.save()
        except IntegrityError:
            name = self.cleaned_data["name"]
            if not self._name_taken(name):
                raise
            self.add_error("name", self._taken_message(name))
            return None

    def _name_taken(self, name: str) -> bool:
        return Pony.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists()

    @staticmethod
    def _taken_message(name: str) -> str:
        return f"There is already a pony called {name} in the stable."
