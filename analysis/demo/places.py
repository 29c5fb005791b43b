"""Real places for invented schools: Valle del Cauca and Guatemalan municipalities, centroids, weights
and the name stock of invented schools."""

from __future__ import annotations

# Valle del Cauca municipality centroids (area-weighted, from DANE MGN 2018 boundaries) and
# approximate populations in thousands (used only as weights for placing invented schools).
VALLE_PLACES: dict[str, tuple[float, float, int]] = {
    "76001": (3.399, -76.578, 2228), "76020": (4.679, -75.788, 22), "76036": (4.154, -76.172, 18),
    "76041": (4.799, -76.033, 19), "76054": (4.714, -76.140, 6), "76100": (4.363, -76.361, 15),
    "76109": (3.612, -77.085, 311), "76111": (3.856, -76.099, 128), "76113": (4.197, -76.090, 21),
    "76122": (4.320, -75.836, 30), "76126": (3.940, -76.634, 17), "76130": (3.382, -76.386, 86),
    "76147": (4.707, -75.923, 134), "76233": (3.644, -76.721, 37), "76243": (4.910, -76.062, 10),
    "76246": (4.758, -76.221, 9), "76248": (3.679, -76.206, 57), "76250": (4.544, -76.271, 8),
    "76275": (3.303, -76.168, 58), "76306": (3.737, -76.191, 22), "76318": (3.785, -76.301, 35),
    "76364": (3.211, -76.627, 145), "76377": (3.698, -76.591, 12), "76400": (4.542, -76.105, 39),
    "76403": (4.483, -75.966, 13), "76497": (4.595, -75.952, 15), "76520": (3.555, -76.229, 310),
    "76563": (3.418, -76.184, 57), "76606": (3.806, -76.535, 16), "76616": (4.106, -76.374, 14),
    "76622": (4.448, -76.170, 33), "76670": (3.980, -76.207, 19), "76736": (4.187, -75.886, 45),
    "76823": (4.645, -76.077, 16), "76828": (4.231, -76.346, 17), "76834": (4.028, -76.033, 218),
    "76845": (4.707, -75.775, 5), "76863": (4.633, -76.215, 7), "76869": (3.742, -76.473, 11),
    "76890": (3.903, -76.392, 17), "76892": (3.597, -76.508, 107), "76895": (4.357, -76.049, 46),
}
VALLE_BOX = {"lat": (3.0, 5.0), "lon": (-77.3, -75.7)}

# Guatemalan municipalities (INE/MINEDUC code DD-MM): name, centroid (from MINFIN boundaries) and
# approximate shares of maya / ladino / garifuna / xinka pupils, used only to draw the attribute.
ETHNICITIES = ("maya", "ladino", "garifuna", "xinka")
GT_MUNICIPALITIES: dict[str, tuple[str, float, float, tuple[float, float, float, float]]] = {
    "04-01": ("Chimaltenango", 14.686, -90.822, (0.75, 0.25, 0.0, 0.0)),
    "04-06": ("Tecpán Guatemala", 14.803, -91.006, (0.90, 0.10, 0.0, 0.0)),
    "06-08": ("Chiquimulilla", 13.973, -90.335, (0.02, 0.83, 0.0, 0.15)),
    "07-01": ("Sololá", 14.823, -91.181, (0.95, 0.05, 0.0, 0.0)),
    "07-19": ("Santiago Atitlán", 14.604, -91.228, (0.97, 0.03, 0.0, 0.0)),
    "08-01": ("Totonicapán", 14.898, -91.321, (0.97, 0.03, 0.0, 0.0)),
    "12-01": ("San Marcos", 15.002, -91.835, (0.25, 0.75, 0.0, 0.0)),
    "12-04": ("Comitancillo", 15.111, -91.746, (0.95, 0.05, 0.0, 0.0)),
    "13-01": ("Huehuetenango", 15.315, -91.388, (0.30, 0.70, 0.0, 0.0)),
    "13-26": ("Santa Cruz Barillas", 15.932, -91.221, (0.75, 0.25, 0.0, 0.0)),
    "14-01": ("Santa Cruz del Quiché", 15.041, -91.124, (0.85, 0.15, 0.0, 0.0)),
    "14-13": ("Nebaj", 15.562, -91.173, (0.90, 0.10, 0.0, 0.0)),
    "15-01": ("Salamá", 15.069, -90.288, (0.40, 0.60, 0.0, 0.0)),
    "15-03": ("Rabinal", 15.113, -90.507, (0.85, 0.15, 0.0, 0.0)),
    "16-01": ("Cobán", 15.711, -90.540, (0.88, 0.12, 0.0, 0.0)),
    "16-09": ("San Pedro Carchá", 15.579, -90.152, (0.97, 0.03, 0.0, 0.0)),
    "17-01": ("Flores", 17.370, -89.535, (0.10, 0.90, 0.0, 0.0)),
    "17-10": ("Sayaxché", 16.306, -90.222, (0.55, 0.45, 0.0, 0.0)),
    "18-02": ("Livingston", 15.777, -89.151, (0.60, 0.22, 0.18, 0.0)),
}
GT_LEVEL_SUFFIX = "43"  # MINEDUC level code of primary schools
MAX_GT_SCHOOL_NUMBER = 9999

CO_NAMES = (
    "San José", "Santa Teresita", "La Inmaculada", "Simón Bolívar", "Antonio Nariño",
    "Francisco de Paula Santander", "Policarpa Salavarrieta", "Jorge Isaacs", "José María Córdoba",
    "Gabriela Mistral", "Nuestra Señora del Carmen", "San Vicente", "La Esperanza", "El Rosario",
    "Juan XXIII", "Camilo Torres", "Sagrada Familia", "Alfonso López Pumarejo", "Rafael Uribe Uribe",
    "Jorge Eliécer Gaitán", "Atanasio Girardot", "Cristóbal Colón", "María Auxiliadora",
    "Santa Rosa", "Los Andes", "La Paz", "Luis Carlos Galán", "Agrícola", "Técnico Agropecuario",
    "Manuela Beltrán", "Pedro Nel Ospina", "Santa Inés", "San Luis Gonzaga", "Nuevo Horizonte",
)
GT_NAMES = (
    "Los Pinos", "El Naranjo", "San Antonio", "Las Flores", "La Esperanza", "El Rosario",
    "Santa Elena", "San Isidro", "Buena Vista", "El Carmen", "San José", "La Libertad", "Santa Cruz",
    "El Progreso", "San Juan", "Las Palmas", "El Mirador", "La Cumbre", "San Pablo", "Santa María",
    "Nueva Esperanza", "El Paraíso", "Los Encuentros", "San Lucas", "La Unión", "San Miguel",
)
