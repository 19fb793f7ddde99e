from django import forms

from .models import Pony


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
        if not name:
            raise forms.ValidationError("Every pony needs a name.")
        clash = Pony.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(f"There is already a pony called {name} in the stable.")
        return name
