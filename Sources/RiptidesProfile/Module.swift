/// Profile parsing: YAML text to a typed `Profile`.
public enum ProfileModule {}
