//! Import names whose PyPI distribution is named differently.

/// (import path, distribution) pairs, sorted by import path (byte order).
/// An import path may be dotted, for namespace packages whose parts ship
/// separately (`google.protobuf`); the longest matching prefix wins.
const RENAMES: &[(&str, &str)] = &[
    ("Bio", "biopython"),
    ("Crypto", "pycryptodome"),
    ("Cryptodome", "pycryptodomex"),
    ("Levenshtein", "python-Levenshtein"),
    ("MySQLdb", "mysqlclient"),
    ("OpenGL", "PyOpenGL"),
    ("OpenSSL", "pyOpenSSL"),
    ("PIL", "pillow"),
    ("RPi", "RPi.GPIO"),
    ("Xlib", "python-xlib"),
    ("absl", "absl-py"),
    ("argon2", "argon2-cffi"),
    ("attr", "attrs"),
    ("azure.core", "azure-core"),
    ("azure.identity", "azure-identity"),
    ("azure.storage.blob", "azure-storage-blob"),
    ("barcode", "python-barcode"),
    ("bluetooth", "PyBluez"),
    ("bs4", "beautifulsoup4"),
    ("bson", "pymongo"),
    ("cairo", "pycairo"),
    ("camelot", "camelot-py"),
    ("can", "python-can"),
    ("cv2", "opencv-python"),
    ("dateutil", "python-dateutil"),
    ("dbus", "dbus-python"),
    ("discord", "discord.py"),
    ("dns", "dnspython"),
    ("docx", "python-docx"),
    ("dotenv", "python-dotenv"),
    ("engineio", "python-engineio"),
    ("faiss", "faiss-cpu"),
    ("ffmpeg", "ffmpeg-python"),
    ("fitz", "PyMuPDF"),
    ("gi", "PyGObject"),
    ("git", "GitPython"),
    ("github", "PyGithub"),
    ("google.auth", "google-auth"),
    ("google.cloud.bigquery", "google-cloud-bigquery"),
    ("google.cloud.firestore", "google-cloud-firestore"),
    ("google.cloud.pubsub", "google-cloud-pubsub"),
    ("google.cloud.storage", "google-cloud-storage"),
    ("google.genai", "google-genai"),
    ("google.generativeai", "google-generativeai"),
    ("google.oauth2", "google-auth"),
    ("google.protobuf", "protobuf"),
    ("googleapiclient", "google-api-python-client"),
    ("gridfs", "pymongo"),
    ("grpc", "grpcio"),
    ("jose", "python-jose"),
    ("jwt", "PyJWT"),
    ("kafka", "kafka-python"),
    ("ldap", "python-ldap"),
    ("magic", "python-magic"),
    ("markdown_it", "markdown-it-py"),
    ("memcache", "python-memcached"),
    ("mpl_toolkits", "matplotlib"),
    ("multipart", "python-multipart"),
    ("mysql.connector", "mysql-connector-python"),
    ("nacl", "PyNaCl"),
    ("newspaper", "newspaper3k"),
    ("osgeo", "GDAL"),
    ("paho.mqtt", "paho-mqtt"),
    ("pdfminer", "pdfminer.six"),
    ("pkg_resources", "setuptools"),
    ("pptx", "python-pptx"),
    ("psycopg2", "psycopg2-binary"),
    ("pylab", "matplotlib"),
    ("pyximport", "Cython"),
    ("ruamel.yaml", "ruamel.yaml"),
    ("serial", "pyserial"),
    ("skimage", "scikit-image"),
    ("sklearn", "scikit-learn"),
    ("slugify", "python-slugify"),
    ("snappy", "python-snappy"),
    ("socketio", "python-socketio"),
    ("socks", "PySocks"),
    ("speech_recognition", "SpeechRecognition"),
    ("tabula", "tabula-py"),
    ("telebot", "pyTelegramBotAPI"),
    ("telegram", "python-telegram-bot"),
    ("umap", "umap-learn"),
    ("usb", "pyusb"),
    ("websocket", "websocket-client"),
    ("wx", "wxPython"),
    ("yaml", "PyYAML"),
    ("zmq", "pyzmq"),
];

/// The distribution that provides the module at dotted path `module`: the
/// renamed distribution of its longest listed prefix, else its top-level name.
pub fn distribution(module: &str) -> &str {
    let mut prefix = module;
    loop {
        if let Ok(i) = RENAMES.binary_search_by_key(&prefix, |&(import, _)| import) {
            return RENAMES[i].1;
        }
        match prefix.rfind('.') {
            Some(dot) => prefix = &prefix[..dot],
            None => return prefix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(RENAMES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn required_renames() {
        for (import, dist) in [
            ("cv2", "opencv-python"),
            ("PIL", "pillow"),
            ("sklearn", "scikit-learn"),
            ("yaml", "PyYAML"),
            ("bs4", "beautifulsoup4"),
            ("skimage", "scikit-image"),
            ("dateutil", "python-dateutil"),
            ("dotenv", "python-dotenv"),
            ("jwt", "PyJWT"),
            ("Crypto", "pycryptodome"),
            ("serial", "pyserial"),
            ("usb", "pyusb"),
            ("attr", "attrs"),
            ("google.protobuf", "protobuf"),
            ("magic", "python-magic"),
            ("docx", "python-docx"),
            ("pptx", "python-pptx"),
            ("fitz", "PyMuPDF"),
            ("OpenSSL", "pyOpenSSL"),
            ("MySQLdb", "mysqlclient"),
            ("psycopg2", "psycopg2-binary"),
            ("Levenshtein", "python-Levenshtein"),
        ] {
            assert_eq!(distribution(import), dist, "{import}");
        }
    }

    #[test]
    fn submodules_map_through_their_package() {
        assert_eq!(distribution("PIL.Image"), "pillow");
        assert_eq!(distribution("sklearn.model_selection.train_test_split"), "scikit-learn");
        assert_eq!(distribution("google.protobuf.message.Message"), "protobuf");
        assert_eq!(distribution("google.cloud.storage"), "google-cloud-storage");
    }

    #[test]
    fn unlisted_modules_are_their_top_level_name() {
        assert_eq!(distribution("numpy.linalg"), "numpy");
        assert_eq!(distribution("requests"), "requests");
        assert_eq!(distribution("google.unknown"), "google");
    }

    #[test]
    fn lookups_are_case_sensitive() {
        assert_eq!(distribution("pil"), "pil");
    }
}
