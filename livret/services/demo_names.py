"""French names and texts for the demonstration data (see `livret.services.demo`).

Every name here is invented or common; the companies are fictitious.
"""

from __future__ import annotations

FAMILY_NAMES: tuple[str, ...] = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
    "Moreau", "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David",
    "Bertrand", "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Fontaine", "Rousseau",
    "Vincent", "Muller", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer",
    "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Masson", "Marchand", "Duval",
    "Denis", "Dumont", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun",
    "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier",
    "Arnaud", "Gérard", "Roche", "Renard", "Schmitt", "Leroux", "Colin", "Vidal",
    "Caron", "Picard", "Fabre", "Aubert", "Lemoine", "Renaud", "Lacroix", "Benoît",
    "Leclerc", "Payet", "Bénard", "Le Gall", "Le Floc'h", "Kerbrat", "Quéré", "Tanguy",
    "Guivarc'h", "Jézéquel", "Prigent", "Hélias", "Le Roux", "Nédélec", "N'Diaye", "Traoré",
    "Cœur", "Nguyen", "Da Silva", "Ben Salah", "Mendès", "Pereira", "Ollivier", "Riou",
)  # fmt: skip

FIRST_NAMES: tuple[str, ...] = (
    "Éloïse", "Noémie", "Zoé", "Maël", "Chloé", "Jean-Baptiste", "Léa", "Emma",
    "Jade", "Louise", "Alice", "Inès", "Manon", "Lina", "Camille", "Léna",
    "Julia", "Ambre", "Anna", "Juliette", "Mila", "Rose", "Lou", "Romane",
    "Clémence", "Océane", "Maëlys", "Anaïs", "Lucie", "Sarah", "Yasmine", "Nour",
    "Héloïse", "Gaëlle", "Marie-Lou", "Maïwenn", "Awa", "Fatoumata", "Élise", "Margaux",
    "Agathe", "Capucine", "Célia", "Kenza", "Aya", "Lilou", "Anne-Sophie", "Mathis",
    "Lucas", "Hugo", "Léo", "Gabriel", "Louis", "Raphaël", "Arthur", "Jules",
    "Adam", "Nathan", "Théo", "Tom", "Noah", "Ethan", "Sacha", "Paul",
    "Enzo", "Timéo", "Axel", "Maxime", "Baptiste", "Clément", "Antoine", "Quentin",
    "Kylian", "Evan", "Mathéo", "Noé", "Loïc", "Gaël", "Yanis", "Rayan",
    "Ilyès", "Mohamed", "Amadou", "Moussa", "Killian", "Erwan", "Tristan", "Corentin",
    "Titouan", "Brieuc", "Ewen", "Malo", "Gwendal", "Pierre-Louis", "Marc-Antoine", "Aurélien",
    "Jérémy", "Valentin", "Dylan", "Noam", "Ayoub", "Bastien", "Thibault", "Florian",
)  # fmt: skip

# (login, display name, role): the demo's teaching team.
STAFF: tuple[tuple[str, str, str], ...] = (
    ("p.lambert", "M. Lambert", "enseignant"),
    ("a.diallo", "Mme Diallo", "enseignant"),
    ("s.morvan", "Mme Morvan", "enseignant"),
    ("y.legoff", "M. Le Goff", "ddfpt"),
)

COMPANIES: tuple[str, ...] = (
    "Usine Agroval (Quimper)",
    "Laiterie de l'Odet (Quimper)",
    "Conserverie Kerbriand (Douarnenez)",
    "Biscuiterie des Glénan (Concarneau)",
    "Cidrerie du Steïr (Briec)",
    "Eaux minérales Armor Sources (Châteaulin)",
    "Salaisons de Cornouaille (Rosporden)",
    "Pâtisseries Ty Gwenn (Quimperlé)",
    "Ouest-Emballages (Brest)",
    "Cosmétiques Algues & Mer (Roscoff)",
    "Chocolaterie Penn Ar Bed (Morlaix)",
    "Légumerie du Léon (Saint-Pol-de-Léon)",
)

TUTORS: tuple[str, ...] = (
    "M. Caradec",
    "Mme Le Bihan",
    "M. Jézéquel",
    "Mme Prigent",
    "M. Quéré",
    "Mme Tanguy",
    "M. Hélias",
    "Mme Riou",
    "M. Guivarc'h",
    "Mme Nédélec",
)

# Short label of each PLP competency, for titles like "Contrôle CP04 — pilotage".
COMPETENCY_SHORT: dict[str, str] = {
    "CP01": "communication",
    "CP02": "analyse de situation",
    "CP03": "préparation du pilotage",
    "CP04": "pilotage",
    "CP05": "suivi de production",
    "CP06": "modes opératoires",
    "CP07": "compétences de l'équipe",
    "CP08": "amélioration continue",
    "CP09": "identification des risques",
    "CP10": "prévention des risques",
}

# (title, competency the activity mainly assesses)
ACTIVITIES: tuple[tuple[str, str], ...] = (
    ("TP ligne de conditionnement", "CP04"),
    ("TP changement de format sur la remplisseuse", "CP06"),
    ("TP nettoyage en place (NEP)", "CP10"),
    ("TP réglage de l'étiqueteuse", "CP04"),
    ("TP démarrage de la ligne d'embouteillage", "CP04"),
    ("TP mise à l'arrêt et consignation", "CP09"),
    ("TP contrôle qualité en cours de production", "CP05"),
    ("TP maintenance de premier niveau", "CP06"),
    ("Étude de cas : dérive d'un paramètre de cuisson", "CP05"),
    ("Mise en situation : préparation du lancement d'un lot", "CP03"),
    ("Exercice : saisie des données de production", "CP01"),
    ("Compte rendu de fin de poste", "CP01"),
    ("Analyse d'un dossier de fabrication", "CP02"),
    ("Atelier : accueil d'un nouvel opérateur sur la ligne", "CP07"),
    ("Chantier d'amélioration continue (5S)", "CP08"),
    ("Évaluation des risques au poste de travail", "CP09"),
)

F_CONTEXTS: tuple[str, ...] = (
    "Plateau technique, ligne pilote",
    "Atelier de conditionnement",
    "Salle de cours et plateau technique",
    "Travail en binôme sur la ligne",
    "Salle informatique (supervision)",
)

COMMENTS_GOOD: tuple[str, ...] = (
    "Bonne autonomie",
    "Travail soigné",
    "Très bonne communication avec l'équipe",
    "Consignes respectées",
    "Réglages rapides et précis",
    "Bonne réactivité face à l'aléa",
    "Relevés de production complets",
    "Poste de travail rangé et propre",
)

COMMENTS_WEAK: tuple[str, ...] = (
    "Revoir la consigne de sécurité",
    "Manque de rigueur dans les relevés",
    "Port des EPI à améliorer",
    "Demande encore de l'aide pour le réglage",
    "Compte rendu incomplet",
    "Trop hésitant au démarrage de la ligne",
    "Attention aux règles d'hygiène",
    "Vocabulaire technique à consolider",
)

# Constats and Conseils of a bilan, by the learner's overall level: weak, middle, strong.
CONSTATS: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = (
    (
        "Des difficultés persistent sur la plupart des compétences ; "
        "la sécurité au poste n'est pas encore acquise.",
        "Travail irrégulier et beaucoup d'hésitations en atelier.",
        "Des absences ont freiné la progression ; les bases restent fragiles.",
    ),
    (
        "Des progrès réguliers ; les gestes professionnels se mettent en place.",
        "Bon investissement en atelier, mais les comptes rendus restent trop succincts.",
        "Compétences en cours d'acquisition ; le pilotage de la ligne s'améliore.",
    ),
    (
        "Très bon investissement ; les gestes professionnels sont maîtrisés "
        "et la sécurité est respectée.",
        "Élève autonome et rigoureux, apprécié de ses tuteurs en entreprise.",
        "Excellente période : pilotage sûr et suivi de production précis.",
    ),
)

CONSEILS: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = (
    (
        "Relire les consignes de sécurité avant chaque TP et demander de l'aide plus tôt.",
        "Être présent et ponctuel ; reprendre les fiches de poste avec le professeur.",
        "S'appuyer sur le tutorat et refaire les exercices de réglage.",
    ),
    (
        "Soigner la rédaction des comptes rendus et utiliser le vocabulaire technique.",
        "Gagner en autonomie lors des changements de format.",
        "Continuer ainsi en approfondissant le suivi des indicateurs de production.",
    ),
    (
        "Maintenir cet excellent niveau et aider ses camarades en atelier.",
        "Viser des responsabilités d'équipe lors de la prochaine PFMP.",
        "Approfondir l'amélioration continue : proposer des pistes de progrès.",
    ),
)
