/// The egress policy compiled from a profile.
public enum PolicyModule {}
